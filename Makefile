# tlsmux — one port, TLS or plain.
VERSION     = 0.1.0
CC         ?= cc
PREFIX     ?= /usr/local
SBINDIR     = $(PREFIX)/sbin
LIBEXECDIR  = $(PREFIX)/libexec/tlsmux
MANDIR      = $(PREFIX)/share/man
# systemd also reads units from /usr/local/lib/systemd/system; the Debian
# package puts them in /lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# The system user tlsmux@.service runs as (systemd-sysusers creates it).
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
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
# tlsmux-tls links GnuTLS and the libraries under it statically: the
# dynamic loader resolving their symbols at every start cost a quarter of
# a TLS connection's instructions.  p11-kit ships no static library, so
# its functions come from src/p11kit_none.c (PKCS#11 unavailable), and
# tlsmux-tls is linked -static-pie with glibc too: no loader at all, a
# tenth of a TLS connection's instructions less.  Such a binary must be
# rebuilt when a GnuTLS or glibc update fixes a flaw; make GNUTLS_STATIC=
# links them as shared libraries instead.  Sanitizers need the shared
# glibc, and so the real p11-kit.
GNUTLS_STATIC ?= 1
GNUTLS_LIBS_STATIC = -Wl,-Bstatic \
    $(filter-out -lp11-kit,$(shell $(PKG_CONFIG) --static --libs gnutls)) \
    -Wl,-Bdynamic -lp11-kit
GNUTLS_LIBS_SHARED = $(shell $(PKG_CONFIG) --libs gnutls)
TLS_FULLY_STATIC = $(if $(SANITIZE),,$(GNUTLS_STATIC))
TLS_LDFLAGS = $(if $(TLS_FULLY_STATIC),-static-pie)
TLS_LIBS = $(if $(TLS_FULLY_STATIC),src/p11kit_none.o \
    $(filter-out -lp11-kit,$(shell $(PKG_CONFIG) --static --libs gnutls)), \
    $(if $(GNUTLS_STATIC),$(GNUTLS_LIBS_STATIC),$(GNUTLS_LIBS_SHARED)))
# The peeker is linked -static-pie against musl (Debian's musl-tools),
# not glibc: glibc's start-up asks the CPU
# its features and cache sizes with some fifty cpuid instructions, each
# a trap to the hypervisor in a virtual machine (5 us each here), so a
# quarter of a millisecond per process; musl asks nothing.  The price:
# musl has no _FORTIFY_SOURCE (the compiler's stack protector stays),
# and its resolver (1.2.3) does not retry over TCP a DNS answer too
# long for UDP.  tlsmux-tls stays on glibc, which GnuTLS is built for.
# make PEEKER_LIBC=glibc links the peeker against glibc instead.
PEEKER_LIBC ?= musl
PEEKER_MUSL = $(if $(SANITIZE),,$(filter musl,$(PEEKER_LIBC)))
# The Debian packages linked in, with their versions (a -dev package
# requires its library at its own version): tlsmux --check warns once
# the system has others, that is when the binaries need rebuilding.
LINKED_PACKAGES = $(if $(GNUTLS_STATIC),libgnutls30 libnettle8 libhogweed6 \
    libgmp10 libtasn1-6 libidn2-0 libunistring2) \
    $(if $(or $(PEEKER_STATIC),$(TLS_FULLY_STATIC)),libc6) \
    $(if $(PEEKER_MUSL),musl-dev)
LINKED_VERSIONS := $(if $(strip $(LINKED_PACKAGES)),$(shell dpkg-query -W \
    -f '$${Package}:$${Architecture}=$${Version} ' $(LINKED_PACKAGES) 2>/dev/null))

# The peeker and plain pump: no GnuTLS, so plain connections start fast.
CORE_OBJ = src/sniff.o src/addr.o src/options.o src/log.o src/conn.o \
           src/backend.o src/pump.o src/proxyproto.o src/cidr.o src/route.o \
           src/program.o src/sandbox.o src/landlock.o
TLS_OBJ  = src/tls.o src/check.o src/pem.o src/certs.o src/clientcert.o \
           src/ticket.o src/sni.o src/allow.o src/policy.o src/linked.o
UNIT_TESTS = tests/unit/test_sniff tests/unit/test_addr tests/unit/test_options \
             tests/unit/test_proxyproto tests/unit/test_cidr \
             tests/unit/test_route tests/unit/test_program tests/unit/test_pem \
             tests/unit/test_sni tests/unit/test_allow tests/unit/test_policy \
             tests/unit/test_sandbox tests/unit/test_linked tests/unit/test_landlock

all: tlsmux tlsmux-tls

# The peeker is linked -static-pie: no dynamic loader to map libc and
# bind its symbols at every start, which was a sixth of a plain
# connection's CPU.  Names then resolve through /etc/hosts and DNS only
# (users through /etc/passwd), the NSS sources built into glibc; and a
# glibc update needs a rebuild (--check says when).  make PEEKER_STATIC=
# links it against the shared glibc.  Sanitizers need the shared one.
PEEKER_STATIC ?= $(if $(SANITIZE),,1)
PEEKER_LDFLAGS = $(if $(PEEKER_STATIC),-static-pie)

MUSL_DIR    = build/musl
MUSL_ARCH   = $(subst -gnu,-musl,$(shell $(CC) -print-multiarch))
MUSL_LIB    = /usr/lib/$(MUSL_ARCH)
MUSL_OBJ    = $(patsubst src/%,$(MUSL_DIR)/%,src/tlsmux.o $(CORE_OBJ))
MUSL_LINK   = -nostdlib -nostartfiles $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
    $(shell $(CC) -print-file-name=crtbeginS.o) $(MUSL_OBJ) $(MUSL_LIB)/libc.a \
    $(shell $(CC) -print-libgcc-file-name) \
    $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o

ifneq ($(PEEKER_MUSL),)
tlsmux: $(MUSL_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -static-pie -o $@ $(MUSL_LINK)
else
tlsmux: src/tlsmux.o $(CORE_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(PEEKER_LDFLAGS) -o $@ src/tlsmux.o $(CORE_OBJ)
endif

# musl's headers, and beside them the kernel's (linux/, asm/) and
# valgrind's (sandbox.c tells when it runs under valgrind), which need no
# libc.
$(MUSL_DIR)/include:
	mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/asm-generic $@/asm-generic
	ln -sfn /usr/include/$(shell $(CC) -print-multiarch)/asm $@/asm
	if [ -d /usr/include/valgrind ]; then ln -sfn /usr/include/valgrind $@/valgrind; fi
$(MUSL_DIR)/%.o: src/%.c src/*.h Makefile .build-flags | $(MUSL_DIR)/include
	musl-gcc -isystem $(MUSL_DIR)/include $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The same peeker against the shared glibc, for valgrind: memcheck cannot
# follow malloc in a static binary.  It finds tlsmux-tls beside itself.
# The same for tlsmux-tls, which it finds beside itself: GnuTLS static,
# glibc and p11-kit shared.
build/shared/tlsmux: src/tlsmux.o $(CORE_OBJ) build/shared/tlsmux-tls
	mkdir -p build/shared
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ src/tlsmux.o $(CORE_OBJ)
build/shared/tlsmux-tls: src/tlsmux-tls.o $(CORE_OBJ) $(TLS_OBJ)
	mkdir -p build/shared
	rm -f $@
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ src/tlsmux-tls.o $(CORE_OBJ) \
	    $(TLS_OBJ) $(if $(GNUTLS_STATIC),$(GNUTLS_LIBS_STATIC),$(GNUTLS_LIBS_SHARED))

tlsmux-tls: src/tlsmux-tls.o $(CORE_OBJ) $(TLS_OBJ) $(if $(TLS_FULLY_STATIC),src/p11kit_none.o)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(TLS_LDFLAGS) -o $@ src/tlsmux-tls.o \
	    $(CORE_OBJ) $(TLS_OBJ) $(TLS_LIBS)

# The TLS floor of the benchmark (bench/tlsfloor.c), linked as tlsmux-tls.
build/bench/tlsfloor: bench/tlsfloor.c src/policy.o \
    $(if $(TLS_FULLY_STATIC),src/p11kit_none.o)
	mkdir -p build/bench
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(GNUTLS_CFLAGS) $(ALL_LDFLAGS) \
	    $(TLS_LDFLAGS) -o $@ $< src/policy.o $(TLS_LIBS)

GNUTLS_OBJ = src/tls.o src/check.o src/certs.o src/clientcert.o src/ticket.o \
             src/tlsmux-tls.o
$(GNUTLS_OBJ): ALL_CPPFLAGS += $(GNUTLS_CFLAGS)
src/p11kit_none.o: ALL_CPPFLAGS += $(shell $(PKG_CONFIG) --cflags p11-kit-1)
src/check.o: ALL_CPPFLAGS += -DTLSMUX_LINKED_PACKAGES='"$(strip $(LINKED_VERSIONS))"'

$(CORE_OBJ) src/tlsmux.o src/tlsmux-tls.o $(TLS_OBJ) src/p11kit_none.o: src/*.h Makefile .build-flags

# Objects remember the flags they were built with: switching SANITIZE=1
# (or CC, CFLAGS, PREFIX...) on or off rebuilds them instead of mixing builds.
BUILD_FLAGS = $(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(SANFLAGS) $(LIBEXECDIR) \
              static=$(GNUTLS_STATIC),$(PEEKER_STATIC),$(PEEKER_MUSL) \
              $(LINKED_VERSIONS)
.build-flags: FORCE
	@[ "$$(cat $@ 2>/dev/null)" = "$(BUILD_FLAGS)" ] || echo "$(BUILD_FLAGS)" >$@
FORCE:

.c.o:
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/test_sniff: tests/unit/test_sniff.c src/sniff.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/sniff.o
tests/unit/test_addr: tests/unit/test_addr.c src/addr.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/addr.o
# options.o needs what parses its values: addresses, ranges, routes.
OPTIONS_DEPS = src/options.o src/addr.o src/log.o src/cidr.o src/route.o \
               src/proxyproto.o
tests/unit/test_options: tests/unit/test_options.c $(OPTIONS_DEPS)
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(OPTIONS_DEPS)
tests/unit/test_proxyproto: tests/unit/test_proxyproto.c src/proxyproto.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/proxyproto.o
tests/unit/test_cidr: tests/unit/test_cidr.c src/cidr.o src/proxyproto.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/cidr.o src/proxyproto.o
tests/unit/test_route: tests/unit/test_route.c $(OPTIONS_DEPS)
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(OPTIONS_DEPS)
tests/unit/test_pem: tests/unit/test_pem.c src/pem.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/pem.o
tests/unit/test_program: tests/unit/test_program.c src/program.o src/log.o \
    src/pump.o src/sandbox.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/program.o src/log.o src/pump.o src/sandbox.o
tests/unit/test_linked: tests/unit/test_linked.c src/linked.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/linked.o
tests/unit/test_sni: tests/unit/test_sni.c src/sni.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/sni.o
tests/unit/test_allow: tests/unit/test_allow.c src/allow.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/allow.o
tests/unit/test_policy: tests/unit/test_policy.c src/policy.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< src/policy.o
tests/unit/test_landlock: tests/unit/test_landlock.c src/landlock.o $(OPTIONS_DEPS)
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/landlock.o $(OPTIONS_DEPS)
tests/unit/test_sandbox: tests/unit/test_sandbox.c src/sandbox.o src/log.o
	$(CC) $(ALL_CPPFLAGS) -Isrc $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    src/sandbox.o src/log.o

# Installs what the tests need (Debian), builds, runs unit and bats tests,
# a short fuzzing smoke, and the core suites again on an ASan+UBSan build
# (build/sanitize).  With SANITIZE=1 the whole suite runs sanitized.
check:
	tests/deps.sh
	$(MAKE) all $(UNIT_TESTS) build/shared/tlsmux
	-$(MAKE) -s $(FUZZ_TARGETS)
	$(if $(SANITIZE),,$(MAKE) sanitize-build)
	$(if $(SANITIZE),TLSMUX_NO_SANITIZE_PASS=1 )tests/run

# The C unit tests alone: what a package build can run with only a compiler.
check-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do ./$$t || exit 1; done

# A copy of the sources built with SANITIZE=1 beside the normal build.
SANITIZE_DIR = build/sanitize
sanitize-build:
	mkdir -p $(SANITIZE_DIR)
	cp -a --parents Makefile src/*.c src/*.h tests/unit/*.c tests/unit/*.h \
	    $(SANITIZE_DIR)/
	$(MAKE) -C $(SANITIZE_DIR) SANITIZE=1 all $(UNIT_TESTS)

# The long runs, not part of CI: the soak at full size (10,000
# connections, 1,000 at a time, up to 1 MiB each way each, the
# certificate swapped every second) and the faults under load (3,000
# connections, each fault when 1,000 are open at once), on the normal
# build and again on the ASan+UBSan one; the testssl audit;
# with a .deb (make deb) and a machine that boots a container, the soak
# under the shipped tlsmux.socket at the same size (each connection an
# instance of tlsmux@.service); one session through 100
# certificate renewals and 100 ticket-key rotations; every fuzzer for
# FUZZ_SECONDS.
SOAK_LONG = SOAK_CONNECTIONS=10000 SOAK_CONCURRENCY=1000 \
	SOAK_FAULT_CONNECTIONS=3000 SOAK_FAULT_CONCURRENCY=1000
check-long:
	tests/deps.sh
	$(MAKE) all $(UNIT_TESTS) sanitize-build
	$(SOAK_LONG) tests/run tests/soak.bats tests/soak-faults.bats tests/audit.bats
	$(SOAK_LONG) TLSMUX_BUILD=$(SANITIZE_DIR) tests/run tests/soak.bats tests/soak-faults.bats
	DAY_RENEWALS=100 DAY_ROTATIONS=100 DAY_PAUSE=0.5 tests/run tests/day.bats
	if ls build/tlsmux_*_amd64.deb >/dev/null 2>&1; then \
	    TLSMUX_SYSTEM_SOAK_CONNECTIONS=10000 TLSMUX_SYSTEM_SOAK_CONCURRENCY=1000 \
	    TLSMUX_SYSTEM_SOAK_MAX_SIZE=1048576 tests/system/run \
	        tests/system/10-install.bats tests/system/50-soak.bats; \
	    rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ]; \
	fi
	$(MAKE) fuzz

# testssl against the TLS path on 127.0.0.1; fails on a HIGH or CRITICAL finding.
audit: all
	bench/testssl.sh

# The whole suite on the sanitized build only.
check-sanitize:
	tests/deps.sh
	$(MAKE) sanitize-build
	TLSMUX_BUILD=$(SANITIZE_DIR) tests/run

# tlsmux against HAProxy, stunnel, sslh, socat, hitch and a minimal pump,
# in one run on loopback (a few minutes); writes bench/results/.  Prints
# figures, passes or fails nothing.
bench:
	tests/deps.sh bench
	$(MAKE) all
	bench/run.sh

# bench/systemd-cost.sh alone: systemd's cost per connection, unit
# variant by unit variant, in the booted root of check-system.
bench-systemd: deb
	tests/deps.sh system
	bench/systemd-cost.sh

# Self-signed certificate, a plain backend and tlsmux on a local port;
# a TLS client and a plain client talk through the same port.
demo:
	contrib/demo.sh deps
	$(MAKE) all
	contrib/demo.sh run

# The Debian package under a real systemd: a minimal Debian 12 root made
# by mmdebstrap (cached in build/system), booted with systemd-nspawn,
# the package installed there with apt, the suites of tests/system run
# inside it.  Exit 77 when this machine cannot boot a container.
check-system: deb
	tests/deps.sh system
	tests/system/run

# The Debian package, built with dpkg-buildpackage from a copy of the
# tracked files in build/deb (it writes beside the source directory), then
# checked with lintian.  Leaves build/tlsmux_$(VERSION)_ARCH.deb.
DEB_DIR = build/deb
DEB_SRC = $(DEB_DIR)/tlsmux-$(VERSION)
deb:
	tests/deps.sh deb
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && \
	[ "$$v" = "$(VERSION)" ] || \
	{ echo "tlsmux: debian/changelog is at $$v, the Makefile at $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z | xargs -0 cp -a --parents -t $(DEB_SRC); \
	else \
	    tar -c --exclude=./build --exclude=./.git . | tar -x -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && nice dpkg-buildpackage --no-sign
	nice lintian --info --fail-on error,warning $(DEB_DIR)/tlsmux_$(VERSION)_*.changes
	cp $(DEB_DIR)/tlsmux_$(VERSION)_$$(dpkg --print-architecture).deb build/
	@echo build/tlsmux_$(VERSION)_$$(dpkg --print-architecture).deb

# What debian/rules lists in Built-Using.
print-linked-packages:
	@echo $(LINKED_PACKAGES)

# The units and the certbot hook name /usr/sbin/tlsmux, the packaged path;
# installed, they name $(SBINDIR)/tlsmux, wherever that is.
UNITS = units/tlsmux.socket units/tlsmux@.service \
        units/tlsmux-ticket-key.service units/tlsmux-ticket-key.timer
INSTALL_PATHS = sed 's|/usr/sbin/tlsmux|$(SBINDIR)/tlsmux|g'

install: all
	mkdir -p $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 units/tlsmux.sysusers $(DESTDIR)$(SYSUSERSDIR)/tlsmux.conf
	install -m 755 tlsmux $(DESTDIR)$(SBINDIR)/tlsmux
	install -m 755 tlsmux-tls $(DESTDIR)$(LIBEXECDIR)/tlsmux-tls
	$(INSTALL_PATHS) contrib/certbot-deploy-hook >$(DESTDIR)$(LIBEXECDIR)/certbot-deploy-hook
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/certbot-deploy-hook
	install -m 644 man/tlsmux.8 $(DESTDIR)$(MANDIR)/man8/tlsmux.8
	for unit in $(UNITS); do \
	    $(INSTALL_PATHS) $$unit >$(DESTDIR)$(SYSTEMDUNITDIR)/$${unit#units/} && \
	    chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${unit#units/} || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tlsmux $(DESTDIR)$(LIBEXECDIR)/tlsmux-tls \
	    $(DESTDIR)$(LIBEXECDIR)/certbot-deploy-hook \
	    $(DESTDIR)$(MANDIR)/man8/tlsmux.8 $(DESTDIR)$(SYSUSERSDIR)/tlsmux.conf
	for unit in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$${unit#units/}; done

clean:
	rm -f tlsmux tlsmux-tls src/*.o $(UNIT_TESTS) .build-flags
	rm -rf build

.PHONY: all bench-systemd check check-system check-unit check-long check-sanitize sanitize-build audit bench demo deb \
        print-linked-packages install uninstall clean FORCE

# libFuzzer harnesses, one tests/fuzz/fuzz_NAME.c for every parser that
# sees outside bytes or files a user writes; tests/run takes the same
# list from those files.  Each runs FUZZ_SECONDS on a scratch copy of its
# seed corpus (tests/fuzz/corpus/NAME), so the committed corpus never
# grows; crashes are left in FUZZ_WORK.  tests/fuzz/NAME.dict is its
# dictionary, tests/fuzz/NAME.flags extra libFuzzer flags, and the
# reproducers of fixed crashes in tests/fuzz/regress/NAME are replayed
# first.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -D_GNU_SOURCE \
                -Isrc -std=c11 $(WARNINGS)
FUZZ_WORK    ?= /tmp/tlsmux-fuzz
FUZZ_TARGETS  = $(patsubst %.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_GNUTLS   = $(shell $(PKG_CONFIG) --cflags --libs gnutls)

tests/fuzz/fuzz_sniff: tests/fuzz/fuzz_sniff.c src/sniff.c src/sniff.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sniff.c src/sniff.c
tests/fuzz/fuzz_addr: tests/fuzz/fuzz_addr.c src/addr.c src/addr.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_addr.c src/addr.c
OPTIONS_SRC = src/options.c src/addr.c src/log.c src/cidr.c src/route.c \
              src/proxyproto.c
tests/fuzz/fuzz_options: tests/fuzz/fuzz_options.c $(OPTIONS_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_options.c $(OPTIONS_SRC)
tests/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(OPTIONS_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_config.c $(OPTIONS_SRC)
tests/fuzz/fuzz_route: tests/fuzz/fuzz_route.c src/route.c src/route.h \
    src/addr.c src/addr.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_route.c src/route.c \
	    src/addr.c
tests/fuzz/fuzz_proxyproto: tests/fuzz/fuzz_proxyproto.c src/proxyproto.c \
    src/proxyproto.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_proxyproto.c \
	    src/proxyproto.c
tests/fuzz/fuzz_sni: tests/fuzz/fuzz_sni.c src/sni.c src/sni.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sni.c src/sni.c
tests/fuzz/fuzz_cidr: tests/fuzz/fuzz_cidr.c src/cidr.c src/cidr.h \
    src/proxyproto.c src/proxyproto.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_cidr.c src/cidr.c \
	    src/proxyproto.c
tests/fuzz/fuzz_allow: tests/fuzz/fuzz_allow.c src/allow.c src/allow.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_allow.c src/allow.c
tests/fuzz/fuzz_pem: tests/fuzz/fuzz_pem.c src/pem.c src/pem.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_pem.c src/pem.c
# The peeker's connection stages on a socketpair or pipe, in process.
CONN_SRC = src/conn.c src/cidr.c src/proxyproto.c src/sniff.c src/log.c \
           src/pump.c
tests/fuzz/fuzz_conn: tests/fuzz/fuzz_conn.c $(CONN_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_conn.c $(CONN_SRC)
# These link GnuTLS (not instrumented: coverage counts our code only).
tests/fuzz/fuzz_policy: tests/fuzz/fuzz_policy.c src/policy.c src/policy.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_policy.c src/policy.c \
	    $(FUZZ_GNUTLS)
tests/fuzz/fuzz_ticket: tests/fuzz/fuzz_ticket.c src/ticket.c src/ticket.h \
    src/log.c src/pump.c
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_ticket.c src/ticket.c \
	    src/log.c src/pump.c $(FUZZ_GNUTLS)
CERTS_SRC = src/certs.c src/pem.c src/sni.c src/log.c src/pump.c
tests/fuzz/fuzz_certs: tests/fuzz/fuzz_certs.c $(CERTS_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_certs.c $(CERTS_SRC) \
	    $(FUZZ_GNUTLS)
# The server name a client sent, to the files of a --cert-dir entry.
CERTS_CHOOSE_SRC = $(sort $(CERTS_SRC) $(OPTIONS_SRC))
tests/fuzz/fuzz_certs_choose: tests/fuzz/fuzz_certs_choose.c $(CERTS_CHOOSE_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_certs_choose.c \
	    $(CERTS_CHOOSE_SRC) $(FUZZ_GNUTLS)
# An OCSP response (DER), as a responder wrote it, judged for stapling.
tests/fuzz/fuzz_ocsp: tests/fuzz/fuzz_ocsp.c $(CERTS_SRC) src/*.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_ocsp.c $(CERTS_SRC) \
	    $(FUZZ_GNUTLS)

# Runs every harness, prints each one's final stats line, fails if any crashed.
fuzz: $(FUZZ_TARGETS)
	@failed=0; \
	for bin in $(FUZZ_TARGETS); do \
	    name=$${bin#tests/fuzz/fuzz_}; \
	    work=$(FUZZ_WORK)/$$name; \
	    rm -rf "$$work" && mkdir -p "$$work/corpus" || exit 1; \
	    cp tests/fuzz/corpus/$$name/* "$$work/corpus/" || exit 1; \
	    dict=; flags=; \
	    [ -f tests/fuzz/$$name.dict ] && dict=-dict=tests/fuzz/$$name.dict; \
	    [ -f tests/fuzz/$$name.flags ] && flags=$$(cat tests/fuzz/$$name.flags); \
	    if [ -d tests/fuzz/regress/$$name ] && \
	        ! ./$$bin tests/fuzz/regress/$$name/* >"$$work/regress.log" 2>&1; then \
	        tail -n 40 "$$work/regress.log"; \
	        echo "fuzz_$$name: FAILED on a reproducer in tests/fuzz/regress/$$name"; \
	        failed=1; continue; \
	    fi; \
	    echo "fuzz_$$name: $(FUZZ_SECONDS)s, log in $$work/log"; \
	    if ./$$bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix="$$work/" $$dict $$flags "$$work/corpus" \
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
