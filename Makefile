# tlsmux — one port, TLS or plain.
VERSION     = 0.1.0
CC         ?= cc
PREFIX     ?= /usr/local
SBINDIR     = $(PREFIX)/sbin
LIBEXECDIR  = $(PREFIX)/libexec/tlsmux
MANDIR      = $(PREFIX)/share/man
DESTDIR    ?=
PKG_CONFIG ?= pkg-config

CFLAGS     ?= -O2 -g
WARNINGS    = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
              -Wmissing-prototypes -Wvla -Wno-unused-parameter
HARDENING   = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
LDHARDENING = -pie -Wl,-z,relro -Wl,-z,now -Wl,--as-needed
# make SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer.
SANITIZE   ?=
SANFLAGS_1  = -fsanitize=address,undefined -fno-omit-frame-pointer
SANFLAGS    = $(if $(SANITIZE),$(SANFLAGS_1))

ALL_CPPFLAGS = -D_GNU_SOURCE -DTLSMUX_VERSION='"$(VERSION)"' \
               -DTLSMUX_LIBEXECDIR='"$(LIBEXECDIR)"' $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARNINGS) $(HARDENING) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(LDHARDENING) $(SANFLAGS) $(LDFLAGS)
GNUTLS_CFLAGS = $(shell $(PKG_CONFIG) --cflags gnutls)
# tlsmux-tls links GnuTLS and the libraries under it statically (p11-kit
# ships no static library): the dynamic loader resolving their symbols
# at every start cost a quarter of a TLS connection's instructions.  Such
# a binary must be rebuilt when a GnuTLS update fixes a flaw;
# make GNUTLS_STATIC= links them as shared libraries instead.
GNUTLS_STATIC ?= 1
GNUTLS_LIBS_STATIC = -Wl,-Bstatic \
    $(filter-out -lp11-kit,$(shell $(PKG_CONFIG) --static --libs gnutls)) \
    -Wl,-Bdynamic -lp11-kit
GNUTLS_LIBS = $(if $(GNUTLS_STATIC),$(GNUTLS_LIBS_STATIC),$(shell $(PKG_CONFIG) --libs gnutls))

# The peeker and plain pump: no GnuTLS, so plain connections start fast.
CORE_OBJ = src/sniff.o src/addr.o src/options.o src/log.o src/conn.o \
           src/backend.o src/pump.o
TLS_OBJ  = src/tls.o src/check.o
UNIT_TESTS = tests/unit/test_sniff tests/unit/test_addr tests/unit/test_options

all: tlsmux tlsmux-tls

# make PEEKER_STATIC=1 links the peeker -static-pie: no dynamic loader, so
# a plain connection costs about a sixth less CPU.  glibc then warns that
# backends given as DNS names resolve through the NSS modules of the glibc
# it was built with ("files" and "dns" are built into it).
PEEKER_LDFLAGS = $(if $(PEEKER_STATIC),-static-pie)

tlsmux: src/tlsmux.o $(CORE_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(PEEKER_LDFLAGS) -o $@ src/tlsmux.o $(CORE_OBJ)

tlsmux-tls: src/tlsmux-tls.o $(CORE_OBJ) $(TLS_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ src/tlsmux-tls.o $(CORE_OBJ) \
	    $(TLS_OBJ) $(GNUTLS_LIBS)

src/tls.o src/check.o src/tlsmux-tls.o: src/tls.h
src/tls.o src/check.o src/tlsmux-tls.o: ALL_CPPFLAGS += $(GNUTLS_CFLAGS)

$(CORE_OBJ) src/tlsmux.o src/tlsmux-tls.o $(TLS_OBJ): src/*.h Makefile

.c.o:
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/test_sniff: tests/unit/test_sniff.c src/sniff.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/sniff.o
tests/unit/test_addr: tests/unit/test_addr.c src/addr.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/addr.o
tests/unit/test_options: tests/unit/test_options.c src/options.o src/addr.o src/log.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/options.o src/addr.o src/log.o

# Installs what the tests need (Debian), builds, runs unit and bats tests.
check:
	tests/deps.sh
	$(MAKE) all $(UNIT_TESTS)
	tests/run

# tlsmux against HAProxy, stunnel, sslh, socat, hitch and a minimal pump,
# in one run on loopback (a few minutes); writes bench/results/.  Prints
# figures, passes or fails nothing.
bench:
	bench/deps.sh
	$(MAKE) all
	bench/run.sh

# Self-signed certificate, a plain backend and tlsmux on a local port;
# a TLS client and a plain client talk through the same port.
demo:
	contrib/demo.sh deps
	$(MAKE) all
	contrib/demo.sh run

install: all
	mkdir -p $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 tlsmux $(DESTDIR)$(SBINDIR)/tlsmux
	install -m 755 tlsmux-tls $(DESTDIR)$(LIBEXECDIR)/tlsmux-tls
	install -m 644 man/tlsmux.8 $(DESTDIR)$(MANDIR)/man8/tlsmux.8

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tlsmux $(DESTDIR)$(LIBEXECDIR)/tlsmux-tls \
	    $(DESTDIR)$(MANDIR)/man8/tlsmux.8

clean:
	rm -f tlsmux tlsmux-tls src/*.o $(UNIT_TESTS)

.PHONY: all check bench demo install uninstall clean

# libFuzzer harnesses for the pure parsers.  Each runs FUZZ_SECONDS on a
# scratch copy of its seed corpus, so the committed corpus never grows;
# crashes are left in FUZZ_WORK.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -D_GNU_SOURCE \
                -Isrc -std=c11 $(WARNINGS)
FUZZ_WORK    ?= /tmp/tlsmux-fuzz
FUZZ_TARGETS  = tests/fuzz/fuzz_sniff tests/fuzz/fuzz_addr \
                tests/fuzz/fuzz_options

tests/fuzz/fuzz_sniff: tests/fuzz/fuzz_sniff.c src/sniff.c src/sniff.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sniff.c src/sniff.c
tests/fuzz/fuzz_addr: tests/fuzz/fuzz_addr.c src/addr.c src/addr.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_addr.c src/addr.c
tests/fuzz/fuzz_options: tests/fuzz/fuzz_options.c src/options.c \
    src/options.h src/addr.c src/addr.h src/log.c
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_options.c \
	    src/options.c src/addr.c src/log.c

# Runs every harness, prints each one's final stats line, fails if any crashed.
fuzz: $(FUZZ_TARGETS)
	@failed=0; \
	for bin in $(FUZZ_TARGETS); do \
	    name=$${bin#tests/fuzz/fuzz_}; \
	    work=$(FUZZ_WORK)/$$name; \
	    rm -rf "$$work" && mkdir -p "$$work/corpus" || exit 1; \
	    cp tests/fuzz/corpus/$$name/* "$$work/corpus/" || exit 1; \
	    dict=; \
	    [ -f tests/fuzz/$$name.dict ] && dict=-dict=tests/fuzz/$$name.dict; \
	    echo "fuzz_$$name: $(FUZZ_SECONDS)s, log in $$work/log"; \
	    if ./$$bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix="$$work/" $$dict "$$work/corpus" \
	        >"$$work/log" 2>&1; then \
	        echo "fuzz_$$name: $$(grep -E '^#[0-9]+[[:space:]]+DONE' "$$work/log" | tail -n 1)"; \
	    else \
	        tail -n 40 "$$work/log"; \
	        echo "fuzz_$$name: FAILED; reproducer: $$(ls "$$work"/crash-* "$$work"/leak-* "$$work"/timeout-* "$$work"/oom-* 2>/dev/null | head -n 1)"; \
	        failed=1; \
	    fi; \
	done; \
	exit $$failed

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=15

clean-fuzz:
	rm -f $(FUZZ_TARGETS)
clean: clean-fuzz

.PHONY: fuzz fuzz-smoke clean-fuzz
