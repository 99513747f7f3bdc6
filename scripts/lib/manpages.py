#!/usr/bin/env python3
"""manpages.py: roff man pages from ArgumentParser's `--experimental-dump-help` JSON.

Usage: ferry --experimental-dump-help | manpages.py --version 0.1.0 --out DIR [--date EPOCH]

Writes DIR/ferry.1 and one DIR/ferry-<sub>[-<subsub>].1 per visible subcommand (ArgumentParser's
own `help` command is left out). Each page has NAME, SYNOPSIS, DESCRIPTION (the command's
discussion), ARGUMENTS, OPTIONS, COMMANDS (when it has subcommands), EXIT STATUS and EXAMPLES
(when the discussion has "Exit codes:" / "Examples:" blocks) and SEE ALSO. The date in the
header comes from --date, else SOURCE_DATE_EPOCH, else 0, so the pages are reproducible.
Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sys
import time


GLYPHS = {"\u2026": "...", "\u2192": "\\(->", "\u2190": "\\(<-", "\u2014": "\\(em", "\u2013": "\\(en",
          "\u00d7": "\\(mu", "\u2265": "\\(>=", "\u2264": "\\(<=", "\u2212": "\\-"}


def esc(text):
    """Text for a roff line: backslashes, hyphens as minus signs, non-ASCII as groff glyphs."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "".join(c if ord(c) < 128 else GLYPHS.get(c, f"\\[u{ord(c):04X}]") for c in text)


def line(text):
    """One output line of running text; a leading . or ' would be read as a request."""
    text = esc(text)
    return "\\&" + text if text[:1] in (".", "'") else text


def flag_names(arg):
    names = []
    for n in arg.get("names", []):
        dash = "-" if n["kind"] in ("short", "longWithSingleDash") else "--"
        names.append(f"\\fB{esc(dash + n['name'])}\\fR")
    return ", ".join(names)


def value(arg):
    return f"\\fI{esc(arg['valueName'])}\\fR" + ("..." if arg.get("isRepeating") else "")


def blocks(discussion):
    """Blank-line separated blocks of the discussion, as lists of lines."""
    return [b.split("\n") for b in re.split(r"\n\s*\n", discussion.strip()) if b.strip()]


def preformatted(lines):
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return [".RS 4", ".nf"] + [line(l[indent:]) if l.strip() else "" for l in lines] + [".fi", ".RE"]


def exit_codes(lines):
    """'  76  text' items (continued by deeper-indented lines) as a tagged list."""
    out, first = [], None
    for l in lines:
        m = re.match(r"^(\s+)(\d+)\s+(.*)$", l)
        if m and (first is None or len(m.group(1)) == first):
            first = len(m.group(1))
            out += [".TP", f".B {m.group(2)}", line(m.group(3))]
        elif l.strip():
            out.append(line(l.strip()))
    return out


def split_discussion(discussion):
    """(description, exit status, examples) roff lines."""
    desc, status, examples = [], [], []
    for b in blocks(discussion):
        head, rest = b[0].strip(), b[1:]
        if head == "Exit codes:" and rest:
            status += exit_codes(rest)
        elif head in ("Examples:", "Example:") and rest:
            examples += preformatted(rest)
        elif head.startswith("Example: ") and not rest:
            examples += preformatted(["  " + head[len("Example: "):]])
        elif rest and head.endswith(":") and all(l.startswith("  ") for l in rest if l.strip()):
            desc += [".PP", line(head)] + preformatted(rest)
        else:
            desc += [".PP"] + [line(l) for l in b]
    return desc, status, examples


def page_name(path):
    return "-".join(path)


def visible(cmd):
    return [s for s in cmd.get("subcommands", [])
            if s.get("shouldDisplay", True) and s["commandName"] != "help"]


def render(cmd, path, version, date, root_status):
    name = page_name(path)
    args = [a for a in cmd.get("arguments", []) if a.get("shouldDisplay", True)]
    positionals = [a for a in args if a["kind"] == "positional"]
    options = [a for a in args if a["kind"] != "positional"]
    subs = visible(cmd)
    desc, status, examples = split_discussion(cmd.get("discussion", ""))
    abstract = cmd.get("abstract", "").rstrip(".")

    out = [f'.TH {esc(name.upper())} 1 "{date}" "ferry {esc(version)}" "ferry manual"',
           ".SH NAME", f"{esc(name)} \\- {esc(abstract)}", ".SH SYNOPSIS"]
    synopsis = f".B {esc(' '.join(path))}"
    if subs:
        out += [synopsis, "\\fIcommand\\fR [\\fIoptions\\fR]"]
    else:
        words = ["[\\fIoptions\\fR]"] if options else []
        for a in positionals:
            words.append(f"[{value(a)}]" if a.get("isOptional") else value(a))
        out += [synopsis] + words
    out += [".SH DESCRIPTION"] + (desc or [".PP", line(cmd.get("abstract", ""))])
    for title, items in (("ARGUMENTS", positionals), ("OPTIONS", options)):
        if items:
            out.append(f".SH {title}")
        for a in items:
            if a["kind"] == "positional":
                term = value(a)
            else:
                term = flag_names(a) + (" " + value(a) if a["kind"] == "option" else "")
            text = a.get("abstract", "")
            if a["kind"] == "option" and "defaultValue" in a and "default" not in text.lower():
                text += f" (default: {a['defaultValue']})"
            out += [".TP", term, line(text)]
    if subs:
        out.append(".SH COMMANDS")
        for s in subs:
            out += [".TP", f".BR {esc(page_name(path + [s['commandName']]))} (1)",
                    line(s.get("abstract", ""))]
    if status or root_status:
        out += [".SH EXIT STATUS"] + (status or [".PP", f"As described in \\fBferry\\fR(1)."])
    if examples:
        out += [".SH EXAMPLES"] + examples
    related = ([path[:i] for i in range(1, len(path))] +
               [path + [s["commandName"]] for s in subs])
    if related:
        refs = [f".BR {esc(page_name(p))} (1)" for p in related]
        out += [".SH SEE ALSO"] + [r + ("," if i < len(refs) - 1 else "") for i, r in enumerate(refs)]
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--version", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--date", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    p.add_argument("input", nargs="?", default="-", help="the dump-help JSON (default: stdin)")
    opts = p.parse_args()
    data = json.load(sys.stdin if opts.input == "-" else open(opts.input, encoding="utf-8"))
    date = time.strftime("%Y-%m-%d", time.gmtime(opts.date))
    os.makedirs(opts.out, exist_ok=True)
    root = data["command"]
    root_has_status = bool(split_discussion(root.get("discussion", ""))[1])

    def walk(cmd, path):
        file = os.path.join(opts.out, page_name(path) + ".1")
        with open(file, "w", encoding="ascii") as f:
            f.write(render(cmd, path, opts.version, date, root_has_status and len(path) > 1))
        print(file)
        for s in visible(cmd):
            walk(s, path + [s["commandName"]])

    walk(root, [root["commandName"]])


if __name__ == "__main__":
    main()
