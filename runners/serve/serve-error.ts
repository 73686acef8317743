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
