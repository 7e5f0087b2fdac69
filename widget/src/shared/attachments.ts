// Files in chats (images and PDFs), shared by the widget and the console:
// uploading with progress, asking the gateway for a signed link, and showing
// a message's files. Names are text nodes; a link's URL comes from the
// gateway (a path on it), never from what someone typed.

/** What a message carries of a file (Message.attachments). */
export interface Attachment {
  id: string;
  name: string;
  type: string;
  size: number;
}

/** The types the gateway keeps; the file picker offers these. */
export const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

export type UploadResult =
  | { ok: true; attachment: Attachment; url: string }
  | { ok: false; error: string; message: string; max_bytes?: number };

/** How a request proves who it is: a visitor's bearer token, or the console's CSRF value. */
export type Credentials = { token: string } | { csrf: string };

function authHeaders(cred: Credentials): Record<string, string> {
  return "token" in cred ? { Authorization: `Bearer ${cred.token}` } : { "X-CSRF-Token": cred.csrf };
}

/**
 * POST /api/attachments with progress (fetch has no upload progress, XHR does).
 * `fields` are extra form fields (the console's conversation_id).
 */
export function upload(
  origin: string,
  cred: Credentials,
  file: Blob & { name?: string },
  onProgress: (fraction: number) => void,
  fields: Record<string, string> = {},
): Promise<UploadResult> {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", file, file.name ?? "file");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${origin}/api/attachments`);
    for (const [k, v] of Object.entries(authHeaders(cred))) xhr.setRequestHeader(k, v);
    xhr.withCredentials = "csrf" in cred;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    const fail = () => resolve({ ok: false, error: "unavailable", message: "network error" });
    xhr.onerror = fail;
    xhr.onabort = fail;
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: a proxy's error page */
      }
      const b = body as UploadResult | null;
      if (b && typeof b === "object" && "ok" in b) resolve(b);
      else resolve({ ok: false, error: xhr.status === 413 ? "too_large" : "unavailable", message: String(xhr.status) });
    };
    xhr.send(form);
  });
}

/** A signed URL (absolute) for one file, or null when the gateway refuses. */
export async function fileLink(origin: string, cred: Credentials, id: string): Promise<string | null> {
  try {
    const r = await fetch(`${origin}/api/attachments/${encodeURIComponent(id)}/link`, {
      headers: authHeaders(cred),
      credentials: "csrf" in cred ? "same-origin" : "omit",
    });
    const body = (await r.json()) as { ok?: boolean; url?: string };
    return body.ok && typeof body.url === "string" && body.url.startsWith("/") ? origin + body.url : null;
  } catch {
    return null;
  }
}

/** 1.2 MB, 340 KB… */
export function formatSize(bytes: number, locale: string): string {
  const units = ["B", "KB", "MB", "GB"];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u += 1;
  }
  return `${n.toLocaleString(locale, { maximumFractionDigits: u ? 1 : 0 })} ${units[u]}`;
}

/**
 * A message's files: images inline (size-capped by CSS), PDFs as a link with
 * name and size. `link` resolves each file's signed URL; until it answers the
 * image has no source and the link no href.
 */
export function renderFiles(
  doc: Document,
  files: readonly Attachment[],
  link: (id: string) => Promise<string | null>,
  locale: string,
): HTMLElement {
  const box = doc.createElement("div");
  box.className = "msg-files";
  for (const f of files) {
    const a = doc.createElement("a");
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.dataset.attachment = f.id;
    if (f.type.startsWith("image/")) {
      a.className = "file-image";
      const img = doc.createElement("img");
      img.alt = f.name;
      img.decoding = "async";
      a.append(img);
      void link(f.id).then((url) => {
        if (!url) return;
        img.src = url;
        a.href = url;
      });
    } else {
      a.className = "file-doc";
      a.textContent = `📄 ${f.name} (${formatSize(f.size, locale)})`;
      void link(f.id).then((url) => {
        if (url) a.href = url;
      });
    }
    box.append(a);
  }
  return box;
}
