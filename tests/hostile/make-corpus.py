#!/usr/bin/env python3
"""make-corpus.py -- write the hostile-scenario corpus (tests/hostile/*.yaml).

Each case is a shipped scenario (scenarios/<base>.yaml, its comments
dropped) with one or two hostile edits.  Every file starts with
    # hostile: <base>.yaml: <what it tries>
    # hostile-line: <lines>
where <lines> are the 1-based lines holding the edit (the line a refusal
must name; 0 = the file as a whole, "-" = no particular line).  An edit's
text marks its hostile line with a leading "@@".  The committed .yaml files
are the corpus; this script is how they were made (run from the top of the
source tree: python3 tests/hostile/make-corpus.py).  Special files (FIFOs,
symlinks to devices, directories) are made by tests/hostile.sh at run time.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "hostile")

CASES = []


def case(name, base, desc, *edits, enc=None):
    CASES.append((name, base, desc, edits, enc))


def load(base):
    with open(os.path.join(TOP, "scenarios", base + ".yaml"), encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if not l.startswith("#")]


def apply(lines, edits):
    """Apply edits; return (lines, hostile indices as markers)."""
    for e in edits:
        op = e[0]
        if op in ("sub", "after", "before"):
            rx = re.compile(e[1])
            idx = next((i for i, l in enumerate(lines) if rx.search(l)), None)
            if idx is None:
                raise SystemExit("no line matches %r" % e[1])
            new = e[2].split("\n")
            if op == "sub":
                lines[idx:idx + 1] = new
            elif op == "after":
                lines[idx + 1:idx + 1] = new
            else:
                lines[idx:idx] = new
        elif op == "add":
            while lines and lines[-1] == "":
                lines.pop()
            lines += e[1].split("\n") + [""]
        elif op == "mark":
            # an existing line that the edit conflicts with: a hostile line too
            rx = re.compile(e[1])
            idx = next((i for i, l in enumerate(lines) if rx.search(l)), None)
            if idx is None:
                raise SystemExit("no line matches %r" % e[1])
            lines[idx] = "@@" + lines[idx]
        elif op == "del":
            rx = re.compile(e[1])
            lines = [l for l in lines if not rx.search(l)]
        else:
            raise SystemExit("bad op " + op)
    return lines


def build(name, base, desc, edits, enc):
    lines = apply(load(base), edits)
    body = []
    hl = []
    for l in lines:
        if l.startswith("@@"):
            l = l[2:]
            hl.append(len(body) + 3)  # two header lines, 1-based
        body.append(l)
    if not hl:
        hl = ["-"]
    if enc in ("utf16be-nobom", "utf32le"):
        # an encoding libyaml does not detect: the file is wrong from 1:1
        hl = [1] + hl
    head = ["# hostile: %s.yaml: %s" % (base, desc),
            "# hostile-line: %s" % " ".join(str(h) for h in hl)]
    text = "\n".join(head + body)
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode("utf-8", "surrogatepass")
    # raw byte escapes: {{xHH...}} in the text become those bytes
    data = re.sub(rb"\{\{x([0-9a-f]+)\}\}", lambda m: bytes.fromhex(m.group(1).decode()), data)
    if enc == "cr":
        data = data.replace(b"\n", b"\r")
    elif enc == "crlf-mixed":
        out = []
        for i, l in enumerate(data.split(b"\n")):
            out.append(l + (b"\r\n" if i % 2 else b"\n"))
        data = b"".join(out)[:-1]
    elif enc == "nel":
        data = data.replace(b"\n", "\u0085".encode())
    elif enc == "ls":
        data = data.replace(b"\n", "\u2028".encode())
    elif enc == "utf16le":
        data = b"\xff\xfe" + data.decode("utf-8", "surrogatepass").encode("utf-16-le", "surrogatepass")
    elif enc == "utf16be-nobom":
        data = data.decode("utf-8", "surrogatepass").encode("utf-16-be", "surrogatepass")
    elif enc == "utf32le":
        data = b"\xff\xfe\x00\x00" + data.decode("utf-8").encode("utf-32-le")
    elif enc == "latin1":
        data = data.decode("utf-8").encode("latin-1")
    elif enc == "bom2":
        data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
    elif enc is not None:
        raise SystemExit("bad enc " + enc)
    with open(os.path.join(OUT, name + ".yaml"), "wb") as f:
        f.write(data)


exec(open(os.path.join(OUT, "cases.py"), encoding="utf-8").read())

names = set()
for c in CASES:
    if c[0] in names:
        raise SystemExit("duplicate case " + c[0])
    names.add(c[0])
    build(*c)
print("%d cases" % len(CASES))
