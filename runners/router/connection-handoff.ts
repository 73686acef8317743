import type { Socket } from "node:net";
import type { Serializable } from "node:child_process";
import type { ToSlot } from "./handoff-messages.ts";

/** The IPC side of a slot process the router spawned (a ChildProcess). */
export type SlotChannel = {
  readonly connected: boolean;
  send(
    message: Serializable,
    handle?: Socket,
    options?: { keepOpen?: boolean },
    callback?: (error: Error | null) => void,
  ): boolean;
  on(event: "message", listener: (message: unknown, handle: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown, handle: unknown) => void): unknown;
};

/**
 * Passes an accepted socket, not a byte of it read, to a slot's process (as node:cluster passes
 * connections). The router keeps its copy until the send went through, and calls `fallback`
 * with the socket intact when it did not, so the connection is never lost.
 */
export function handOff(channel: SlotChannel, socket: Socket, message: ToSlot, fallback: () => void): void {
  if (!channel.connected) return fallback();
  // Without this, Node tracks the socket as the slot's and the public server's close waits for
  // the slot to close it; the router's count still drops when its copy is destroyed.
  (socket as unknown as { server: unknown }).server = null;
  try {
    channel.send(message, socket, { keepOpen: true }, (err) => {
      if (err) fallback();
      // The slot holds its own descriptor now: closing the router's leaves the connection open.
      else socket.destroy();
    });
  } catch {
    fallback();
  }
}

/** Sends a control message; a slot whose channel closed has nothing to release. */
export function tell(channel: SlotChannel, message: ToSlot): void {
  if (!channel.connected) return;
  try {
    channel.send(message, undefined, {}, () => undefined);
  } catch {
    // The slot is gone: its connections went with it.
  }
}
