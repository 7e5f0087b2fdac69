// The paper clip of a composer (widget and console): picks an image or PDF,
// uploads it with progress, and hands the stored file over to be sent as a
// message. A refusal (too large, wrong type) is said in the reader's language.

import { ACCEPT, type Attachment, formatSize, type UploadResult } from "./attachments";
import { h, icon } from "./dom";
import type { Strings } from "./i18n";

/** The texts it needs; the widget's and the console's string tables both have them. */
export type AttachLabels = Pick<Strings, "attach" | "uploading" | "fileTooLarge" | "fileWrongType" | "fileFailed">;

const CLIP_ICON =
  "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z";

/** What the message for a refusal code says (the gateway's own sentence is English). */
export function uploadError(t: AttachLabels, r: Extract<UploadResult, { ok: false }>, locale: string): string {
  if (r.error === "too_large") return t.fileTooLarge(r.max_bytes ? formatSize(r.max_bytes, locale) : "");
  if (r.error === "unsupported_type") return t.fileWrongType;
  return t.fileFailed;
}

export class AttachButton {
  readonly button: HTMLButtonElement;
  /** Progress and refusals, under the composer. */
  readonly status: HTMLElement;
  /** The hidden file picker: put it beside the button. */
  readonly input: HTMLInputElement;
  private busy = false;

  constructor(
    private t: AttachLabels,
    private locale: string,
    private readonly uploadFile: (file: File, onProgress: (f: number) => void) => Promise<UploadResult>,
    private readonly uploaded: (a: Attachment) => void,
  ) {
    this.input = h("input", { type: "file", accept: ACCEPT, class: "file-input", hidden: true, tabindex: "-1" });
    this.button = h("button", { type: "button", class: "attach", "aria-label": t.attach, title: t.attach }, icon(CLIP_ICON));
    this.status = h("div", { class: "upload-status", role: "status", "aria-live": "polite", hidden: true });
    this.button.addEventListener("click", () => {
      if (!this.busy) this.input.click();
    });
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      this.input.value = "";
      if (file) void this.send(file);
    });
  }

  /** The reader's language changed (the widget follows the visitor's). */
  relabel(t: AttachLabels, locale: string): void {
    this.t = t;
    this.locale = locale;
    this.button.setAttribute("aria-label", t.attach);
    this.button.title = t.attach;
  }

  private say(text: string, failed: boolean): void {
    this.status.hidden = !text;
    this.status.textContent = text;
    this.status.classList.toggle("failed", failed);
    this.status.setAttribute("role", failed ? "alert" : "status");
  }

  private async send(file: File): Promise<void> {
    this.busy = true;
    this.button.setAttribute("aria-busy", "true");
    this.say(this.t.uploading(file.name, 0), false);
    const r = await this.uploadFile(file, (f) => this.say(this.t.uploading(file.name, Math.round(f * 100)), false));
    this.busy = false;
    this.button.removeAttribute("aria-busy");
    if (r.ok) {
      this.say("", false);
      this.uploaded(r.attachment);
    } else {
      this.say(uploadError(this.t, r, this.locale), true);
    }
  }
}
