"""One self-contained HTML page for a study: tables, plots and images embedded, no external files."""
import base64
import html
from pathlib import Path

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}
.scroll{overflow-x:auto;max-width:100%} td.worse{background:#f8e1e1} .banner{background:#fff4d6;padding:.6em}
h1{margin-bottom:.2em} .lead{font-size:1.1em;color:#444}
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.35em .7em;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left} td.best{background:#e3f4e3;font-weight:bold}
td.ref{color:#777;font-style:italic}
.grid{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0} figcaption{font-size:.85em;color:#555}
img{max-width:100%} pre{background:#f6f6f6;padding:.8em;overflow-x:auto}
details{margin:.6em 0} summary{cursor:pointer;font-weight:600}
@media (max-width:600px){body{margin:1em auto;padding:0 .5em} th,td{padding:.3em .4em} h1{font-size:1.4em}}
"""


def embed_png(path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(Path(path).name)}" src="data:image/png;base64,{data}">'


def figure(path, caption: str, width: int | None = None) -> str:
    style = f' style="width:{width}px"' if width else ""
    return f"<figure{style}>{embed_png(path)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def table(header: list[str], rows: list[list], classes: list[list[str]] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes else [""] * len(row)
        body.append("<tr>" + "".join(f'<td class="{c}">{_lines(v)}</td>' for v, c in zip(row, cls)) + "</tr>")
    return f"<div class='scroll'><table><tr>{head}</tr>{''.join(body)}</table></div>"


def _lines(value) -> str:
    """A cell's text, escaped; a newline in it starts a second line."""
    return html.escape(str(value)).replace("\n", "<br>")


def section(title: str, *parts: str, collapsed: bool = False) -> str:
    if collapsed:
        return f"<details><summary>{html.escape(title)}</summary>{''.join(parts)}</details>"
    return f"<h2>{html.escape(title)}</h2>{''.join(parts)}"


def page(title: str, lead: str, *sections: str) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p class='lead'>{html.escape(lead)}</p>{''.join(sections)}</body></html>")


def code(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"
