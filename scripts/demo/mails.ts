/**
 * The demo's mails, written as real mail systems write them, and what the autopilot must do with each under
 * docs/examples/demo.yaml: the rules it matches, the journal outcome of each action, and what must be visible on
 * the servers afterwards.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { ActionKind } from '../../runtime/journal/events.js';

/** The demo's users: the watched mailbox and three correspondents (all on the test Dovecot). */
export const DEMO_USERS = {
  support: 'support@example.test',
  subscriber: 'ada@example.test',
  visitor: 'carol@example.test',
  traveller: 'bob@example.test',
} as const;

/**
 * A file the handler of a mail must have written (relative to the demo's working directory; a path ending in `/`
 * means "some file in this directory") with a text it must contain.
 *
 * @example
 * ```ts
 * const file: ExpectedFile = { path: 'tickets/', contains: '"email": "carol@example.test"' };
 * ```
 */
export interface ExpectedFile {
  readonly path: string;
  readonly contains: string;
}

/**
 * What must have happened to a demo mail.
 *
 * @example
 * ```ts
 * const expected: ExpectedOutcome = {
 *   rules: ['order-questions'], handler: false, end: 'handled',
 *   actions: [{ kind: 'reply', outcome: 'skipped', code: 'AUTO_SUBMITTED' }, { kind: 'markRead', outcome: 'done' }],
 *   folder: 'INBOX', seen: true, noReplyTo: 'bob@example.test',
 * };
 * ```
 */
export interface ExpectedOutcome {
  /** The rules the journal's `message.matched` names, in order. */
  readonly rules: readonly string[];
  /** Whether a command handler ran and succeeded. */
  readonly handler: boolean;
  /** Each action of the matched rules, in order: performed, or skipped (with loop protection's code). */
  readonly actions: readonly {
    readonly kind: ActionKind;
    readonly outcome: 'done' | 'skipped';
    readonly code?: string;
  }[];
  readonly end: 'handled' | 'unmatched';
  /** The folder of the watched mailbox the message is in afterwards, and whether it is marked read. */
  readonly folder: string;
  readonly seen: boolean;
  /** A correspondent who must have received the automatic reply (`Re: <subject>`, Auto-Submitted: auto-replied). */
  readonly replyTo?: string;
  /** A correspondent who must have received nothing at all. */
  readonly noReplyTo?: string;
  readonly file?: ExpectedFile;
}

/**
 * One demo mail.
 *
 * @example
 * ```ts
 * for (const mail of demoMails(new Date())) await servers.deliver('support', mail.raw);
 * ```
 */
export interface DemoMail {
  /** What kind of mail it is, for people. */
  readonly label: string;
  readonly subject: string;
  readonly from: string;
  /** With angle brackets, as the journal records it. */
  readonly messageId: string;
  /** The RFC 5322 text (LF line ends; the harness turns them into CRLF). */
  readonly raw: string;
  readonly expected: ExpectedOutcome;
}

/** RFC 5322 date-time. */
function rfcDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function token(): string {
  return randomBytes(6).toString('hex');
}

/** Quoted-printable as PHP mailers write it (UTF-8, soft line breaks at 76). */
function quotedPrintable(text: string): string {
  const encoded = [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      byte === 0x0a || (byte >= 0x20 && byte <= 0x7e && byte !== 0x3d)
        ? String.fromCharCode(byte)
        : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return encoded
    .split('\n')
    .map((line) => {
      const parts: string[] = [];
      let rest = line;
      while (rest.length > 75) {
        let cut = 75;
        // Never split an =XX escape.
        const lastEscape = rest.lastIndexOf('=', cut);
        if (lastEscape > cut - 3) cut = lastEscape;
        parts.push(`${rest.slice(0, cut)}=`);
        rest = rest.slice(cut);
      }
      parts.push(rest);
      return parts.join('\n');
    })
    .join('\n');
}

/** A Postfix-style bounce: multipart/report with a message/delivery-status part (RFC 3464). */
function bounce(now: Date): DemoMail {
  const id = token();
  const messageId = `<20250701.${id}@mx.example.test>`;
  const boundary = `${id}.1751364000/mx.example.test`;
  const subject = 'Undelivered Mail Returned to Sender';
  const raw = `Date: ${rfcDate(now)}
From: MAILER-DAEMON@mx.example.test (Mail Delivery System)
To: ${DEMO_USERS.support}
Subject: ${subject}
Message-ID: ${messageId}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="${boundary}"
Content-Transfer-Encoding: 8bit

This is a MIME-encapsulated message.

--${boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

                   The mail system

<gone@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1
    <gone@example.net>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--${boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test
X-Postfix-Queue-ID: 4bXk2M0Zq3z9t
X-Postfix-Sender: rfc822; ${DEMO_USERS.support}
Arrival-Date: ${rfcDate(now)}

Final-Recipient: rfc822; gone@example.net
Original-Recipient: rfc822;gone@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address
    rejected: User unknown in virtual mailbox table

--${boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

From: Example Shop <${DEMO_USERS.support}>
To: gone@example.net
Subject: Your order 4712 has shipped
Date: ${rfcDate(now)}
Message-ID: <order-4712-shipped.${id}@example.test>

--${boundary}--
`;
  return {
    label: 'a bounce: multipart/report from MAILER-DAEMON, Final-Recipient gone@example.net',
    subject,
    from: 'MAILER-DAEMON@mx.example.test',
    messageId,
    raw,
    expected: {
      rules: ['bounces'],
      handler: true,
      actions: [
        { kind: 'markRead', outcome: 'done' },
        { kind: 'moveTo', outcome: 'done' },
      ],
      end: 'handled',
      folder: 'Bounces',
      seen: true,
      file: { path: 'bounces.log', contains: 'gone@example.net' },
    },
  };
}

/** A subscriber confirming a double opt-in. */
function newsletterConfirmation(now: Date): DemoMail {
  const messageId = `<${token()}@mail.example.test>`;
  const subject = 'Newsletter confirmation';
  const raw = `Date: ${rfcDate(now)}
From: Ada Lovelace <${DEMO_USERS.subscriber}>
To: Example Shop <${DEMO_USERS.support}>
Subject: ${subject}
Message-ID: ${messageId}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 7bit
User-Agent: Mozilla Thunderbird

Yes, please send me the monthly newsletter.

Confirmation code: 7Q4M-2KXD

Ada
`;
  return {
    label: 'a double opt-in: the subscriber confirms her newsletter subscription',
    subject,
    from: DEMO_USERS.subscriber,
    messageId,
    raw,
    expected: {
      rules: ['newsletter-optin'],
      handler: false,
      actions: [
        { kind: 'reply', outcome: 'done' },
        { kind: 'moveTo', outcome: 'done' },
      ],
      end: 'handled',
      folder: 'Processed',
      seen: false,
      replyTo: DEMO_USERS.subscriber,
    },
  };
}

/** A web form's mail: sent by the web site, Reply-To the visitor, the fields in a quoted-printable body. */
function contactForm(now: Date): DemoMail {
  const messageId = `<${token()}@www.example.test>`;
  const subject = 'Contact form: Where is my parcel?';
  const body = `A visitor sent the contact form on https://www.example.test/contact

Name: Carol Müller
Email: ${DEMO_USERS.visitor}
Phone: +49 30 1234567
Order number: 4711
Topic: Delivery
Message:
Hello, my parcel for order 4711 has not arrived yet, although the tracking page says it was delivered on Monday. Could you please check where it is?

Thank you!
Carol
`;
  const raw = `Date: ${rfcDate(now)}
From: Example Shop website <website@example.test>
Reply-To: =?UTF-8?Q?Carol_M=C3=BCller?= <${DEMO_USERS.visitor}>
To: ${DEMO_USERS.support}
Subject: ${subject}
Message-ID: ${messageId}
X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

${quotedPrintable(body)}`;
  return {
    label: 'a web-form mail: form fields in the body, Reply-To the visitor',
    subject,
    from: 'website@example.test',
    messageId,
    raw,
    expected: {
      rules: ['contact-form'],
      handler: true,
      actions: [
        { kind: 'reply', outcome: 'done' },
        { kind: 'moveTo', outcome: 'done' },
      ],
      end: 'handled',
      folder: 'Tickets',
      seen: false,
      replyTo: DEMO_USERS.visitor,
      file: { path: 'tickets/', contains: `"email": "${DEMO_USERS.visitor}"` },
    },
  };
}

/** A vacation auto-reply to the shop's shipping notice: its subject matches the rule that answers order mail. */
function outOfOffice(now: Date): DemoMail {
  const messageId = `<${token()}@mail.example.test>`;
  const subject = 'Out of office: Re: Your order 4711 has shipped';
  const raw = `Date: ${rfcDate(now)}
From: Bob Example <${DEMO_USERS.traveller}>
To: ${DEMO_USERS.support}
Subject: ${subject}
Message-ID: ${messageId}
In-Reply-To: <order-4711-shipped@example.test>
Auto-Submitted: auto-replied
X-Autoreply: yes
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

I am out of the office until Monday, 14 July, with limited access to e-mail.
Your message will not be forwarded.

Bob
`;
  return {
    label: 'an auto-reply (Auto-Submitted: auto-replied) whose subject matches the order rule',
    subject,
    from: DEMO_USERS.traveller,
    messageId,
    raw,
    expected: {
      rules: ['order-questions'],
      handler: false,
      actions: [
        { kind: 'reply', outcome: 'skipped', code: 'AUTO_SUBMITTED' },
        { kind: 'markRead', outcome: 'done' },
      ],
      end: 'handled',
      folder: 'INBOX',
      seen: true,
      noReplyTo: DEMO_USERS.traveller,
    },
  };
}

/**
 * The four demo mails, in delivery order, with fresh Message-IDs.
 *
 * @example
 * ```ts
 * const mails = demoMails(new Date());
 * mails.map((m) => m.subject); // ['Undelivered Mail Returned to Sender', 'Newsletter confirmation', …]
 * ```
 */
export function demoMails(now: Date): DemoMail[] {
  return [bounce(now), newsletterConfirmation(now), contactForm(now), outOfOffice(now)];
}
