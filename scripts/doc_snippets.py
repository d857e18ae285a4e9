#!/usr/bin/env python3
"""Checks the fenced code blocks of the READMEs against the files they are
kept in (scripts/check-doc-snippets.sh then compiles those files).

A block is preceded by `<!-- snippet: PATH -->` (PATH relative to the
repository root). If PATH has lines containing `doc-snippet: begin` and
`doc-snippet: end`, the block is the text between each pair (each region
dedented, regions joined); otherwise the block is the whole file. Blocks
without a marker must be ```sh (checked with `bash -n`, and every
`bash FILE` they name must exist) or ```text (listings, not code).

  doc_snippets.py OUTDIR FILE.md...        check; writes the sh blocks to OUTDIR
  doc_snippets.py --fix FILE.md...         rewrite the blocks from their files
"""
import difflib, os, re, subprocess, sys, textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r'^<!-- snippet: (\S+) -->$')


def expected(path):
    lines = open(os.path.join(ROOT, path)).read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    regions, cur = [], None
    for line in lines:
        if 'doc-snippet: begin' in line:
            cur = []
        elif 'doc-snippet: end' in line:
            regions.append(textwrap.dedent('\n'.join(cur)).split('\n'))
            cur = None
        elif cur is not None:
            cur.append(line)
    if not regions:
        return lines
    return [l for r in regions for l in r]


def blocks(md):
    """Yields (fence line index, language, marker path or None, body lines)."""
    lines = open(md).read().split('\n')
    i = 0
    while i < len(lines):
        m = re.match(r'^```(\S*)$', lines[i])
        if m:
            j = i + 1
            while not lines[j].startswith('```'):
                j += 1
            mk = MARKER.match(lines[i - 1]) if i > 0 else None
            yield i, j, m.group(1), mk.group(1) if mk else None, lines[i + 1:j]
            i = j
        i += 1


def main(argv):
    fix = argv[0] == '--fix'
    outdir = None if fix else argv[0]
    failed = counted = 0
    for md in argv[1:]:
        rel = os.path.relpath(md, ROOT)
        if fix:
            lines = open(md).read().split('\n')
            for start, end, lang, path, body in reversed(list(blocks(md))):
                if path:
                    lines[start + 1:end] = expected(path)
            open(md, 'w').write('\n'.join(lines))
            continue
        for start, end, lang, path, body in blocks(md):
            counted += 1
            where = f'{rel}:{start + 1}'
            if path:
                want = expected(path)
                if body != want:
                    failed += 1
                    print(f'{where}: the block differs from {path} (scripts/doc_snippets.py --fix {rel} copies the file in):')
                    sys.stdout.writelines(l + '\n' for l in difflib.unified_diff(want, body, path, rel, lineterm=''))
            elif lang == 'sh':
                f = os.path.join(outdir, f'{rel.replace("/", "_")}_{start + 1}.sh')
                open(f, 'w').write('\n'.join(body) + '\n')
                if subprocess.call(['bash', '-n', f]) != 0:
                    failed += 1
                    print(f'{where}: bash -n fails')
                base = os.path.dirname(md)
                for name in re.findall(r'\bbash (\S+\.sh)\b', '\n'.join(body)):
                    if not any(os.path.exists(os.path.join(d, name)) for d in (ROOT, base)):
                        failed += 1
                        print(f'{where}: {name} does not exist')
            elif lang != 'text':
                failed += 1
                print(f'{where}: a ```{lang} block needs a <!-- snippet: PATH --> line before it '
                      '(or is ```sh or ```text)')
    if not fix:
        print(f'doc snippets: {counted} blocks, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
