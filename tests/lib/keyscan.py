"""keyscan.py PID KEY-FILE CERT-FILE: whether a private key's text is in
the memory of process PID.

Prints "key body in memory: yes|no" and "key path in memory: yes|no":
the base64 body of KEY-FILE's PRIVATE KEY block must be gone once
parsed, while the file's path (which the process keeps) is there, which
shows the search works.  The key's text holds its public half, which
the certificate's text (CERT-FILE's CERTIFICATE blocks: not secret,
copied freely) holds too; only pieces that are not in the certificate
count, and one 48-byte piece of the body is enough to leak.  KEY-FILE
and CERT-FILE may be one file.
"""
import re
import sys


def block_text(path, label):
    """The base64 of every block of path whose BEGIN line ends with label."""
    text, inside = [], False
    for line in open(path, "rb"):
        if line.startswith(b"-----BEGIN ") and line.rstrip().endswith(label + b"-----"):
            inside = True
        elif line.startswith(b"-----END "):
            inside = False
        elif inside:
            text.append(line.strip())
    return b"".join(text)


pid, key, cert = sys.argv[1:4]
body = block_text(key, b"PRIVATE KEY")
cert_text = block_text(cert, b"CERTIFICATE")
if not body:
    sys.exit("keyscan: no private key in %s" % key)
pieces = [body[j:j + 48] for j in range(0, len(body) - 47, 48)
          if body[j:j + 48] not in cert_text]
needles = [pieces, [key.encode()]]
found = set()
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        if end - start > 1 << 30:
            continue    # a sanitizer's shadow or reserve, not data
        # In 1 MiB steps that overlap by more than a needle's length.
        for at in range(start, end, 1 << 20):
            try:
                mem.seek(at)
                chunk = mem.read(min(end - at, (1 << 20) + 4096))
            except OSError:
                break
            for i, group in enumerate(needles):
                if any(p in chunk for p in group):
                    found.add(i)
print("key body in memory: %s" % ("yes" if 0 in found else "no"))
print("key path in memory: %s" % ("yes" if 1 in found else "no"))
