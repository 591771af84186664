/**
 * The subset of the Outlook object model (OOM) the Extended MAPI driver uses, as winax exposes it: properties are
 * read and written like JS properties, methods are called, collections are 1-based (`Item(1)` is the first), and
 * every failure is thrown as a COM error (`errno` = HRESULT, `code` = EXCEPINFO scode). The test fake implements
 * the same shape (test/adapters/mapi/fakes/outlook-fake.ts).
 *
 * @module
 */

/** OlDefaultFolders.olFolderInbox. */
export const OL_FOLDER_INBOX = 6;
/** OlItemType.olMailItem (Application.CreateItem). */
export const OL_MAIL_ITEM = 0;
/** OlObjectClass values of items found in an Inbox. */
export const OL_CLASS = { mail: 43, report: 46, meetingRequest: 53 } as const;
/** OlBodyFormat. */
export const OL_BODY_FORMAT = { plain: 1, html: 2, richText: 3 } as const;
/** OlAttachmentType.olByValue. */
export const OL_BY_VALUE = 1;
/** OlMailRecipientType. */
export const OL_RECIPIENT = { to: 1, cc: 2, bcc: 3 } as const;

/**
 * MAPI property tags as PropertyAccessor schema names (`http://schemas.microsoft.com/mapi/proptag/0xTTTTtttt`).
 *
 * @example
 * ```ts
 * item.PropertyAccessor.GetProperty(PROPTAG.transportMessageHeaders);
 * ```
 */
export const PROPTAG = {
  /** PR_TRANSPORT_MESSAGE_HEADERS (PT_UNICODE): the Internet headers as received. */
  transportMessageHeaders: 'http://schemas.microsoft.com/mapi/proptag/0x007D001F',
  /** PR_INTERNET_MESSAGE_ID (PT_UNICODE). */
  internetMessageId: 'http://schemas.microsoft.com/mapi/proptag/0x1035001F',
  /** PR_SEARCH_KEY (PT_BINARY): survives a move, unlike the EntryID. */
  searchKey: 'http://schemas.microsoft.com/mapi/proptag/0x300B0102',
  /** PR_SENDER_SMTP_ADDRESS (PT_UNICODE): the SMTP address of an Exchange (EX) sender. */
  senderSmtpAddress: 'http://schemas.microsoft.com/mapi/proptag/0x5D01001F',
  /** PR_SMTP_ADDRESS (PT_UNICODE) of a recipient. */
  smtpAddress: 'http://schemas.microsoft.com/mapi/proptag/0x39FE001F',
  /** PR_ATTACH_MIME_TAG (PT_UNICODE) of an attachment. */
  attachMimeTag: 'http://schemas.microsoft.com/mapi/proptag/0x370E001F',
} as const;

/** Named properties in PS_INTERNET_HEADERS: setting one adds that Internet header to an outgoing message. */
export const PS_INTERNET_HEADERS = 'http://schemas.microsoft.com/mapi/string/{00020386-0000-0000-C000-000000000046}/';

export interface OutlookPropertyAccessor {
  GetProperty(schemaName: string): unknown;
  SetProperty(schemaName: string, value: unknown): void;
  BinaryToString(value: unknown): string;
}

export interface OutlookRecipient {
  readonly Name: string;
  readonly Address: string;
  Type: number;
  readonly PropertyAccessor: OutlookPropertyAccessor;
}

export interface OutlookRecipients {
  readonly Count: number;
  Item(index: number): OutlookRecipient;
  Add(name: string): OutlookRecipient;
  ResolveAll(): boolean;
}

export interface OutlookAttachment {
  readonly FileName: string;
  readonly Size: number;
  readonly PropertyAccessor: OutlookPropertyAccessor;
  SaveAsFile(path: string): void;
}

export interface OutlookAttachments {
  readonly Count: number;
  Item(index: number): OutlookAttachment;
  Add(source: string, type?: number, position?: number, displayName?: string): OutlookAttachment;
}

export interface OutlookMailItem {
  readonly Class: number;
  readonly EntryID: string;
  readonly MessageClass: string;
  Subject: string;
  readonly SenderName: string;
  readonly SenderEmailAddress: string;
  readonly SenderEmailType: string;
  To: string;
  CC: string;
  BCC: string;
  readonly Recipients: OutlookRecipients;
  readonly ReceivedTime: Date;
  readonly Size: number;
  Body: string;
  HTMLBody: string;
  BodyFormat: number;
  UnRead: boolean;
  readonly Attachments: OutlookAttachments;
  readonly PropertyAccessor: OutlookPropertyAccessor;
  Save(): void;
  Move(destination: OutlookFolder): OutlookMailItem;
  Delete(): void;
  Send(): void;
}

export interface OutlookItems {
  readonly Count: number;
  Item(index: number): OutlookMailItem;
  Restrict(filter: string): OutlookItems;
  Sort(property: string, descending?: boolean): void;
}

export interface OutlookFolders {
  readonly Count: number;
  Item(index: number | string): OutlookFolder;
  Add(name: string): OutlookFolder;
}

export interface OutlookFolder {
  readonly Name: string;
  readonly EntryID: string;
  readonly FolderPath: string;
  readonly Items: OutlookItems;
  readonly Folders: OutlookFolders;
  /** The parent folder; for a store's root folder, the NameSpace. */
  readonly Parent: OutlookFolder | OutlookNamespace;
}

export interface OutlookNamespace {
  /** Outlook 2010 and later: the profile of the running session. */
  readonly CurrentProfileName: string;
  Logon(profile?: string, password?: string, showDialog?: boolean, newSession?: boolean): void;
  GetDefaultFolder(folderType: number): OutlookFolder;
  GetItemFromID(entryId: string, storeId?: string): OutlookMailItem;
}

export interface OutlookApplication {
  GetNamespace(type: 'MAPI'): OutlookNamespace;
  CreateItem(itemType: number): OutlookMailItem;
}
