/** Why a request failed; the server answers with `status` and the V2 body `{"error": message, "code": code}`. */
export class ServeError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ServeError";
    this.status = status;
    this.code = code;
  }
}

/** A 400 answer: the request is wrong and the client must change it. */
export function badRequest(code: string, message: string): ServeError {
  return new ServeError(400, code, message);
}

/** Response header that repeats an error answer's reason code, so a proxy can tell failures apart without reading the body. */
export const ERROR_CODE_HEADER = "x-modelship-error-code";

type ClientSocket = { writable: boolean; destroyed: boolean; write(s: string): boolean; destroy(): void } & {
  _httpMessage?: { headersSent?: boolean } | null;
};

/**
 * Answers what Node's HTTP parser rejects before any handler runs — a request that did not arrive
 * within the request timeout (408), headers too large (431), a malformed request (400) — with a
 * V2 error body, then closes the connection.
 */
export function answerClientError(err: Error & { code?: string }, socket: ClientSocket): void {
  if (socket.destroyed || err.code === "ECONNRESET") return;
  const [status, reason, code, message] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "request-timeout", "the request did not arrive in time"]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "headers-too-large", "the request headers are too large"]
        : [400, "Bad Request", "bad-request", "the request is not valid HTTP"];
  // A response already under way cannot be replaced; the connection just closes.
  if (socket.writable && socket._httpMessage?.headersSent !== true) {
    const body = JSON.stringify({ error: message, code });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${ERROR_CODE_HEADER}: ${code}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
