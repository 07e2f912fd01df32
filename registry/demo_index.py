"""``tanji demo``'s index page and summary table: every demo label, its state and QR code.

``DIR/index.html`` is one static page (no script, no CDN, the QR codes inline as SVG) that lists
each label with its product, footprint, grade, state, supply-chain depth and recognitions, the
QR code a phone scans (it encodes the label's URL under ``--base-url``), and links to its page,
its bundle and, for recognitions, the partners' proof files. :func:`summary_table` is the same
list as plain text for the terminal.
"""

from __future__ import annotations

import os
import shlex
import sys
import webbrowser
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from registry.demo_users import users_lines
from registry.i18n import localized
from registry.qr import qr_svg

if TYPE_CHECKING:
    from registry.demo import DemoLabel, DemoSummary

__all__ = [
    "INDEX_FILE",
    "open_index",
    "serve_command",
    "summary_lines",
    "summary_rows",
    "summary_table",
    "write_index",
]

INDEX_FILE: Final = "index.html"
HEADERS: Final = (
    "label id",
    "product",
    "footprint",
    "grade",
    "state",
    "depth",
    "recognitions",
    "URL",
)
STATE_COLOURS: Final = {
    "valid": "#1b7f3b",
    "superseded": "#8a5a00",
    "revoked": "#b3261e",
    "pending": "#4a5a8a",
}
MAX_PRODUCT: Final = 44
LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")


def _footprint(label: DemoLabel) -> str:
    return f"{label.kg_co2e_per_unit:g} kg CO2e/{label.declared_unit}"


def _state(label: DemoLabel) -> str:
    if label.superseded_by:
        return f"superseded by {label.superseded_by}"
    return label.state


def summary_rows(summary: DemoSummary) -> list[tuple[str, ...]]:
    """One row per label: :data:`HEADERS`."""
    rows: list[tuple[str, ...]] = []
    for label in summary.labels:
        name = localized(label.product_name, "en")
        if len(name) > MAX_PRODUCT:
            name = name[: MAX_PRODUCT - 1] + "…"
        rows.append(
            (
                label.label_id,
                name,
                _footprint(label),
                label.grade,
                _state(label),
                str(label.supply_chain_depth),
                str(label.recognitions),
                label.url,
            )
        )
    return rows


def summary_table(summary: DemoSummary) -> list[str]:
    """The labels as an aligned plain-text table (header first)."""
    rows = [HEADERS, *summary_rows(summary)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]


def serve_command(base_url: str, data_dir: Path) -> str:
    """The ``tanji serve`` command that serves ``base_url`` (the URL the demo's QR codes, links
    and trust file use) from ``data_dir``."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    args = ["tanji", "serve", "--data-dir", str(data_dir)]
    if parts.hostname not in LOOPBACK:
        args += ["--host", "0.0.0.0"]  # reachable from the phone on the same network
    args += ["--port", str(port)]
    if base_url != f"http://127.0.0.1:{port}":
        args += ["--base-url", base_url]
    return shlex.join(args)


def summary_lines(summary: DemoSummary, *, data_dir: Path) -> list[str]:
    """What ``tanji demo`` prints: counts, the label table, proof files, where to look next."""
    pending = sum(label.state == "pending" for label in summary.labels)
    lines = [
        f"{len(summary.labels)} labels on chain {summary.chain_id} at {summary.contract}:"
        f" {len(summary.labels) - pending} anchored, {pending} pending",
        "",
        *summary_table(summary),
        "",
    ]
    for proof in summary.proofs:
        lines.append(
            f"{proof.region} recognition ({proof.scheme}, {proof.subject_type}): tanji verify"
            f" {summary.out_dir / proof.proof_file} --trust {summary.out_dir / proof.trust_file}"
        )
    serve = serve_command(summary.base_url, data_dir)
    lines += [
        f"index page: {summary.index_file}",
        f"serve the labels: {serve}",
        f"trust file: {summary.trust_file}",
    ]
    if summary.users:
        lines += ["", *users_lines(summary.users, summary.console_url)]
        lines.append(f"# (also in {summary.users_file}, readable by you only)")
    return lines


def _svg(url: str) -> str:
    svg = qr_svg(url)
    return svg[svg.index("<svg") :].strip()


def _row(summary: DemoSummary, label: DemoLabel) -> str:
    colour = STATE_COLOURS.get(label.state, "#333")
    links = [
        f'<a href="{escape(label.page_url)}">label page</a>',
        f'<a href="{escape(label.bundle_file)}">bundle</a>',
        f'<a href="{escape(summary.base_url)}/api/v1/labels/{escape(label.label_id)}/bundle">'
        "bundle online</a>",
    ]
    if label.redacted_file:
        links.append(f'<a href="{escape(label.redacted_file)}">redacted bundle</a>')
    if label.inventory_file:
        links.append(f'<a href="{escape(label.inventory_file)}">inventory</a>')
    for proof in summary.proofs:
        if proof.label_id == label.label_id:
            links.append(f'<a href="{escape(proof.proof_file)}">{escape(proof.region)} proof</a>')
    names = "<br>".join(escape(name) for name in dict.fromkeys(label.product_name.values()))
    return (
        "<tr>"
        f'<td class="qr">{_svg(label.url)}</td>'
        f'<td class="product"><b>{names}</b><br><small>{escape(label.company)}</small><br>'
        f"<code>{escape(label.label_id)}</code> · {escape(label.certificate_number)}</td>"
        f'<td class="num">{escape(_footprint(label))}</td>'
        f"<td>{escape(label.grade)}</td>"
        f'<td><span class="state" style="background:{colour}">{escape(_state(label))}</span></td>'
        f'<td class="num">{label.supply_chain_depth}</td>'
        f'<td class="num">{label.recognitions}</td>'
        f'<td>{" · ".join(links)}<br><small class="url">{escape(label.url)}</small></td>'
        "</tr>"
    )


def render_index(summary: DemoSummary) -> str:
    """The index page's HTML."""
    rows = "\n".join(_row(summary, label) for label in summary.labels)
    head = "".join(f"<th>{escape(h)}</th>" for h in ("QR", *HEADERS[1:-1], "links"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tanji demo labels</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; vertical-align: top; }}
td.qr svg {{ width: 120px; height: 120px; }}
td.num {{ text-align: right; white-space: nowrap; }}
.state {{ color: #fff; border-radius: .3rem; padding: .1rem .4rem; white-space: nowrap; }}
td.product {{ min-width: 16rem; }}
small.url {{ overflow-wrap: anywhere; }}
code {{ font-size: .85em; overflow-wrap: anywhere; }}
</style></head>
<body>
<h1>Tanji demo: {len(summary.labels)} labels</h1>
<p>Scan a QR code with a phone on the same network as <code>{escape(summary.base_url)}</code>
(start <code>tanji serve</code> first). Check any bundle yourself:
<code>tanji verify bundles/&lt;label-id&gt;.json --trust trust.json</code>; a partner checks its
proof file with its own profile: <code>tanji verify proofs/&lt;partner&gt;-&lt;label-id&gt;.json
--trust proofs/&lt;partner&gt;-trust.json</code>.</p>
<p>Chain {summary.chain_id}, contract <code>{escape(summary.contract)}</code>, node
<code>{escape(summary.rpc_url)}</code>. Every company and body is fictional; every value is
illustrative.</p>
<table><thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def write_index(summary: DemoSummary) -> None:
    """Write ``summary.index_file`` (nothing when it is not set)."""
    if summary.index_file is not None:
        summary.index_file.write_text(render_index(summary), encoding="utf-8")


def open_index(summary: DemoSummary) -> str | None:
    """Open the index page in a browser (``tanji demo --open``); what to tell the user if not.

    Without a display (a Linux server or container, no ``BROWSER`` set) nothing is started: a
    console browser would take over the terminal. ``BROWSER`` chooses the browser as usual.
    """
    if summary.index_file is None:
        return None
    uri = summary.index_file.resolve().as_uri()
    headless = sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")
    )
    if headless or not webbrowser.open(uri):
        return f"no browser to open; the index page is {uri}"
    return None
