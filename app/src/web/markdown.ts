import MarkdownIt from "markdown-it";

/**
 * Claude's answers as HTML. Raw HTML in the text is escaped, not passed through, and links and
 * images are not rendered at all: an answer could otherwise carry a link or image address made
 * of data (a prompt-injection exfiltration path), or a script.
 */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false }).disable(["link", "image", "autolink", "reference"]);

export function answerHtml(text: string): string {
  return markdown.render(text);
}
