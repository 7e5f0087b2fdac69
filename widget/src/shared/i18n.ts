// Widget texts in Japanese and English. The visitor's browser language picks
// one (the site's data-locale when the browser's is neither), then what the
// visitor writes (the gateway's `status.locale`); data-locale-fixed pins it.

export type Locale = "ja" | "en";

const en = {
  title: "Chat with us",
  open: "Open chat",
  close: "Minimize chat",
  unread: (n: number) => `${n} unread message${n === 1 ? "" : "s"}`,
  placeholder: "Write a message…",
  send: "Send",
  messages: "Messages",
  bot: "Assistant",
  you: "You",
  agentFallback: "Support",
  sending: "Sending…",
  seen: "Seen",
  notSent: "Not sent",
  offlineBanner: "You are offline. Messages will be sent when the connection is back.",
  connecting: "Connecting…",
  typing: (who: string) => `${who} is typing…`,
  quickReplies: "Suggested replies",
  botImage: "Image from the assistant",
  talkToHuman: "Talk to a person",
  endChat: "End chat",
  queued: (n: number | null, minutes: number | null) =>
    "Connecting you to a person" +
    (n !== null ? ` — you are number ${n}` : "") +
    (minutes !== null ? `, about ${minutes} minute${minutes === 1 ? "" : "s"}` : ""),
  agentJoined: (name: string) => `${name} joined the chat`,
  chatClosed: "This chat has ended.",
  csatQuestion: "How satisfied are you with this chat?",
  csatScore: (n: number) => `${n} of 5`,
  csatLow: "Not at all",
  csatHigh: "Very",
  csatThanks: "Thank you for your feedback!",
  transcriptLabel: "Email me this transcript",
  transcriptSend: "Send",
  transcriptSent: "The transcript is on its way to your inbox.",
  transcriptBadEmail: "Please enter an email address like name@example.com.",
  transcriptFailed: "The transcript could not be sent: ",
  offlineTitle: "Nobody is available right now",
  offlineIntro: "Leave a message and we will get back to you by email.",
  offlineName: "Name",
  offlineEmail: "Email",
  offlineMessage: "Message",
  offlineSend: "Send message",
  opensAt: (when: string) => `We are back ${when}.`,
  offlineSent: "Thank you — we received your message.",
  choiceLeave: "Leave a message",
  choiceBot: "Keep chatting with the assistant",
  choiceWait: "Wait for a person",
  waitingOffline: "Nobody is available yet. We will connect you as soon as someone is online; you can keep writing.",
  errorPrefix: "Could not send: ",
  refused: "That did not work: ",
  attach: "Attach an image or PDF",
  uploading: (name: string, pct: number) => `Sending ${name}… ${pct}%`,
  fileTooLarge: (max: string) => `This file is too large (up to ${max}).`,
  fileWrongType: "Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.",
  fileFailed: "The file could not be sent. Please try again.",
  onlineNow: "Online now",
  closedNow: "Closed now",
  closedUntil: (when: string) => `Closed — opens ${when}`,
  repliesIn: (s: number) =>
    s < 60 ? "Usually replies in under a minute"
    : s <= 300 ? "Usually replies in a few minutes"
    : s < 3600 ? `Usually replies in about ${Math.ceil(s / 300) * 5} minutes`
    : `Usually replies in about ${Math.round(s / 3600)} hour${Math.round(s / 3600) === 1 ? "" : "s"}`,
  prechatTitle: "Before we start",
  prechatIntro: "Tell us who you are so that we can answer you properly.",
  prechatName: "Name",
  prechatEmail: "Email",
  optional: "(optional)",
  prechatStart: "Start chat",
  prechatSkip: "Skip",
  prechatRequired: (field: string) => `Please fill in your ${field.toLowerCase()}.`,
  prechatBadEmail: "That e-mail address does not look right: write it like name@example.com.",
};

export type Strings = typeof en;

const ja: Strings = {
  title: "チャットでお問い合わせ",
  open: "チャットを開く",
  close: "チャットを最小化",
  unread: (n) => `未読メッセージ ${n} 件`,
  placeholder: "メッセージを入力…",
  send: "送信",
  messages: "メッセージ",
  bot: "アシスタント",
  you: "あなた",
  agentFallback: "サポート",
  sending: "送信中…",
  seen: "既読",
  notSent: "未送信",
  offlineBanner: "オフラインです。接続が戻ったら送信します。",
  connecting: "接続中…",
  typing: (who) => `${who}が入力中…`,
  quickReplies: "返信の候補",
  botImage: "アシスタントからの画像",
  talkToHuman: "担当者と話す",
  endChat: "チャットを終了",
  queued: (n, minutes) =>
    "担当者におつなぎしています" +
    (n !== null ? ` — あなたは ${n} 番目です` : "") +
    (minutes !== null ? `（約 ${minutes} 分）` : ""),
  agentJoined: (name) => `${name}が参加しました`,
  chatClosed: "チャットは終了しました。",
  csatQuestion: "今回の対応の満足度を教えてください",
  csatScore: (n) => `5 段階中 ${n}`,
  csatLow: "不満",
  csatHigh: "満足",
  csatThanks: "ご回答ありがとうございました。",
  transcriptLabel: "この会話の記録をメールで受け取る",
  transcriptSend: "送信",
  transcriptSent: "会話の記録をメールでお送りします。",
  transcriptBadEmail: "name@example.com の形式でメールアドレスを入力してください。",
  transcriptFailed: "会話の記録を送信できませんでした: ",
  offlineTitle: "ただいま対応できる担当者がいません",
  offlineIntro: "メッセージを残していただければ、メールでご連絡します。",
  offlineName: "お名前",
  offlineEmail: "メールアドレス",
  offlineMessage: "メッセージ",
  offlineSend: "メッセージを送る",
  opensAt: (when) => `受付再開は ${when} です。`,
  offlineSent: "ありがとうございます。メッセージを受け付けました。",
  choiceLeave: "メッセージを残す",
  choiceBot: "アシスタントとのチャットを続ける",
  choiceWait: "担当者を待つ",
  waitingOffline: "ただいま対応できる担当者がいません。担当者が対応できるようになり次第おつなぎします。メッセージはそのまま送れます。",
  errorPrefix: "送信できませんでした: ",
  refused: "処理できませんでした: ",
  attach: "画像または PDF を添付",
  uploading: (name, pct) => `${name} を送信中… ${pct}%`,
  fileTooLarge: (max) => `ファイルが大きすぎます（${max} まで）。`,
  fileWrongType: "送信できるのは画像（PNG・JPEG・GIF・WebP）と PDF だけです。",
  fileFailed: "ファイルを送信できませんでした。もう一度お試しください。",
  onlineNow: "対応中の担当者",
  closedNow: "営業時間外です",
  closedUntil: (when) => `営業時間外 — ${when} に再開します`,
  repliesIn: (s) =>
    s < 60 ? "通常 1 分以内に返信します"
    : s <= 300 ? "通常数分で返信します"
    : s < 3600 ? `通常約 ${Math.ceil(s / 300) * 5} 分で返信します`
    : `通常約 ${Math.round(s / 3600)} 時間で返信します`,
  prechatTitle: "チャットを始める前に",
  prechatIntro: "適切にご案内するため、お名前と連絡先を教えてください。",
  prechatName: "お名前",
  prechatEmail: "メールアドレス",
  optional: "（任意）",
  prechatStart: "チャットを始める",
  prechatSkip: "スキップ",
  prechatRequired: (field) => `${field}を入力してください。`,
  prechatBadEmail: "メールアドレスの形式が正しくありません（例: name@example.com）。",
};

const tables: Record<Locale, Strings> = { ja, en };

/** `"ja-JP"` → `"ja"`, `"en_US"` → `"en"`; null for a language we have no texts for. */
export function asLocale(tag: string | null | undefined): Locale | null {
  const base = (tag ?? "").trim().toLowerCase().split(/[-_]/)[0];
  return base === "ja" || base === "en" ? base : null;
}

/**
 * The visitor's language: the first of the browser's `languages` we have
 * texts for, else `fallback` (the site's data-locale), else English. A
 * Japanese site's English-speaking visitor gets English buttons.
 */
export function pickLocale(languages: readonly string[], fallback?: string | null): Locale {
  for (const tag of languages) {
    const locale = asLocale(tag);
    if (locale) return locale;
  }
  return asLocale(fallback) ?? "en";
}

export function strings(locale: Locale): Strings {
  return tables[locale];
}
