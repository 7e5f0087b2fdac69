// Entry point of widget.js. Runs once per page: finds its own <script> tag
// (for options and the gateway address), mounts <tsunagu-chat> at the end of
// <body>, and exposes `window.Tsunagu` with open/close for site owners who
// want their own "chat with us" links.

import { readConfig } from "./config";
import { Widget } from "./widget";

declare const __TSUNAGU_VERSION__: string;

// Must be read synchronously at load: currentScript is null after this tick.
const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[src*="widget.js"]');

let widget: Widget | null = null;

function mount(): void {
  if (widget || document.querySelector("tsunagu-chat")) return; // loaded twice: keep the first
  const host = document.createElement("tsunagu-chat");
  (document.body ?? document.documentElement).append(host);
  widget = new Widget(host, readConfig(script, location));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount, { once: true });
else mount();

export const version = __TSUNAGU_VERSION__;
export function open(): void {
  widget?.open();
}
export function close(): void {
  widget?.close();
}
