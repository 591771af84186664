/**
 * Delivers messages into the test Dovecot over LMTP (a real "new mail" event: IDLE clients are notified).
 *
 * @module
 */
import nodemailer from 'nodemailer';

/** Sends raw messages to Dovecot's LMTP listener (see {@link createLmtpDelivery}). */
export interface LmtpDelivery {
  /** Resolves when Dovecot stored the message for every recipient; rejects naming the refused ones. */
  deliver(from: string, to: readonly string[], raw: Buffer): Promise<void>;
  close(): void;
}

/**
 * An LMTP client for the loopback listener. No STARTTLS: nodemailer would upgrade against Dovecot otherwise
 * (NOTES.md), which only costs time on loopback.
 *
 * @example
 * ```ts
 * const lmtp = createLmtpDelivery(servers.ports.lmtp);
 * await lmtp.deliver('sender@example.test', ['user1@example.test'], raw);
 * ```
 */
export function createLmtpDelivery(port: number): LmtpDelivery {
  const transport = nodemailer.createTransport({ lmtp: true, host: '127.0.0.1', port, ignoreTLS: true });
  return {
    async deliver(from, to, raw) {
      const info = await transport.sendMail({ envelope: { from, to: [...to] }, raw });
      if (info.rejected.length > 0) {
        throw new Error(`LMTP refused ${info.rejected.join(', ')}: ${JSON.stringify(info.rejectedErrors ?? [])}`);
      }
    },
    close() {
      transport.close();
    },
  };
}
