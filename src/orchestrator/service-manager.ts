/**
 * Talking to a service manager (sd_notify(3)): when `void run` is started
 * by systemd with Type=notify, NOTIFY_SOCKET names a datagram socket; void
 * sends READY=1 once every Startup void is running (and every trigger
 * takes messages), and STOPPING=1 when an orderly stop begins. Without
 * NOTIFY_SOCKET nothing is sent. The variable is removed from the
 * environment, so no void can be given it (PassEnv).
 */
import type { NativeAddon } from "../native/addon.js";
import type { Logger } from "./log.js";

export class ServiceManager {
  private readonly socket: string | undefined;

  constructor(
    private readonly addon: Pick<NativeAddon, "notify">,
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const path = env["NOTIFY_SOCKET"];
    delete env["NOTIFY_SOCKET"];
    // An absolute path, or an abstract address ("@name"); anything else is not sd_notify's.
    this.socket = path !== undefined && (path.startsWith("/") || path.startsWith("@")) && path.length > 1 ? path : undefined;
  }

  ready(): void {
    this.send(`READY=1\nSTATUS=every Startup void is running\nMAINPID=${process.pid}`);
  }

  stopping(): void {
    this.send("STOPPING=1\nSTATUS=stopping the voids");
  }

  private send(message: string): void {
    if (this.socket === undefined) return;
    try {
      this.addon.notify(this.socket, message);
    } catch (e) {
      this.log.warn(`cannot notify the service manager: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.log.verbose(`told the service manager: ${message.split("\n")[0]}`);
  }
}
