// Streams the assistant's answer into the page as it is written. Without this script the
// form posts as usual and the page shows the whole answer when it is done.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-assistant-form]");
  if (!form || !window.fetch || !window.TextDecoder) return;
  const messages = document.querySelector("[data-messages]");
  const errorBox = document.querySelector("[data-error]");
  const button = form.querySelector("button[type=submit]");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    const question = String(body.get("question") || "").trim();
    if (!question) return;
    button.disabled = true;
    errorBox.hidden = true;
    messages.append(bubble("question", "You", question));
    const answer = bubble("answer streaming", "Claude", "");
    answer.setAttribute("aria-live", "polite");
    messages.append(answer);
    const text = answer.querySelector(".text");
    try {
      const response = await fetch(form.action, { method: "POST", body, headers: { Accept: "text/event-stream" }, credentials: "same-origin" });
      if (!response.ok || !response.body) throw new Error("The assistant could not be reached. Reload the page and try again.");
      for await (const { event, data } of serverEvents(response.body)) {
        if (event === "text") text.textContent += data.text;
        else if (event === "done") return window.location.assign(data.url);
        else if (event === "error") {
          answer.remove();
          showError(data.message, data.url);
          return;
        }
      }
      throw new Error("The answer stopped before it was finished. Reload the page to see what was saved.");
    } catch (err) {
      answer.remove();
      showError(err instanceof Error ? err.message : String(err), null);
    } finally {
      button.disabled = false;
    }
  });

  function bubble(kind, who, content) {
    const article = document.createElement("article");
    article.className = `message ${kind}`;
    const name = document.createElement("p");
    name.className = "who";
    name.textContent = who;
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = content;
    article.append(name, text);
    return article;
  }

  function showError(message, url) {
    errorBox.textContent = message;
    if (url) {
      const link = document.createElement("a");
      link.href = url;
      link.textContent = "Open the conversation.";
      errorBox.append(" ", link);
    }
    errorBox.hidden = false;
  }
});

/** The events of a text/event-stream body, parsed as they arrive. */
async function* serverEvents(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) yield { event, data: JSON.parse(data) };
    }
  }
}
