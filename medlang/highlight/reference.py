"""Render the language reference (``docs/language.md``) to one standalone HTML page,
its ``medlang`` blocks highlighted by the MedLang Pygments lexer::

    python -m medlang.highlight docs/language.md -o language.html

Markdown is read with markdown-it-py (CommonMark plus tables); ``medlang`` fences go
through ``MedLangLexer``, ``text`` fences stay plain. The page carries its own CSS.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path


def render_reference(markdown_text: str, title: str = "MedLang language reference") -> str:
    from markdown_it import MarkdownIt
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    from medlang.highlight.lexer import MedLangLexer

    formatter = HtmlFormatter(cssclass="highlight", nowrap=False)

    def fence(code: str, language: str, attrs: str) -> str:
        if language == "medlang":
            return highlight(code, MedLangLexer(), formatter)
        return f"<pre><code>{html.escape(code)}</code></pre>"

    parser = MarkdownIt("commonmark", {"highlight": fence}).enable("table")
    body = parser.render(markdown_text)
    style = formatter.get_style_defs(".highlight")
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>\n<style>\n{style}\n"
        "body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }\n"
        "pre { padding: 0.6rem; background: #f6f8fa; overflow-x: auto; }\n"
        "table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 4px; }\n"
        "</style></head><body>\n" + body + "</body></html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medlang.highlight", description=__doc__)
    parser.add_argument("markdown", type=Path, help="the reference, e.g. docs/language.md")
    parser.add_argument("-o", "--out", type=Path, help="HTML file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        page = render_reference(args.markdown.read_text(encoding="utf-8"))
        if args.out is None:
            sys.stdout.write(page)
        else:
            args.out.write_text(page, encoding="utf-8")
    except OSError as error:
        print(f"error: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    return 0
