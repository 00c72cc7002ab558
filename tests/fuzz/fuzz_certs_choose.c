/*
 * fuzz_certs_choose: certs_choose, which turns the server name a client
 * sent into the files of a --cert-dir entry with a few open() calls.
 * The first input byte picks the options (bit 0 --strict-sni, bit 1 a
 * --cert beside the directory, bit 2 a directory without a _default
 * entry); the rest is the server name, raw bytes as a ClientHello may
 * carry them (none when empty).  The directories are made once, in a
 * scratch folder: one entry in each layout (NAME.pem, NAME.crt +
 * NAME.key, NAME/fullchain.pem), a wildcard, _default, and a file
 * beside the directory that no name may reach.  Aborts when a choice
 * is a file outside the known entries, an entry the name does not
 * select, or a default that --strict-sni forbids; when a refusal has no
 * alert or no one-line printable reason; or on EX_CONFIG, since every
 * file there is readable.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The entries and the cert file each must lead to. */
static const struct {
	const char *entry;
	const char *cert;
	const char *key;
} entries[] = {
	{"www.example.com", "www.example.com.pem", "www.example.com.pem"},
	{"*.example.com", "*.example.com.crt", "*.example.com.key"},
	{"api.example.org", "api.example.org/fullchain.pem",
	 "api.example.org/privkey.pem"},
	{"xn--bcher-kva.example", "xn--bcher-kva.example.pem",
	 "xn--bcher-kva.example.pem"},
	{SNI_DEFAULT_ENTRY, SNI_DEFAULT_ENTRY ".pem", SNI_DEFAULT_ENTRY ".pem"},
};
#define ENTRY_COUNT (sizeof entries / sizeof entries[0])

static char root[64], with_default[96], without_default[96], cert[96];

static void touch(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		abort();
	close(fd);
}

static void make_dir(const char *dir, int default_entry)
{
	char sub[160];

	if (mkdir(dir, 0700) < 0)
		abort();
	snprintf(sub, sizeof sub, "%s/api.example.org", dir);
	if (mkdir(sub, 0700) < 0)
		abort();
	for (size_t i = 0; i < ENTRY_COUNT; i++) {
		if (!default_entry && strcmp(entries[i].entry, SNI_DEFAULT_ENTRY) == 0)
			continue;
		touch(dir, entries[i].cert);
		if (strcmp(entries[i].cert, entries[i].key) != 0)
			touch(dir, entries[i].key);
	}
	/* Reachable only through "..", which no accepted name holds. */
	touch(dir, "api.example.org/www.example.com.pem");
}

static void remove_dir(const char *dir, int default_entry)
{
	char path[256];

	for (size_t i = 0; i < ENTRY_COUNT; i++) {
		if (!default_entry && strcmp(entries[i].entry, SNI_DEFAULT_ENTRY) == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, entries[i].cert);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", dir, entries[i].key);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/api.example.org/www.example.com.pem", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/api.example.org", dir);
	rmdir(path);
	rmdir(dir);
}

/* The scratch folder goes when the fuzzer exits. */
static void cleanup(void)
{
	char path[128];

	remove_dir(with_default, 1);
	remove_dir(without_default, 0);
	unlink(cert);
	snprintf(path, sizeof path, "%s/outside.ocsp", root);
	unlink(path);
	rmdir(root);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/fuzz-certs-choose-XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	snprintf(with_default, sizeof with_default, "%s/certs", root);
	snprintf(without_default, sizeof without_default, "%s/nodefault", root);
	snprintf(cert, sizeof cert, "%s/outside.pem", root);
	make_dir(with_default, 1);
	make_dir(without_default, 0);
	touch(root, "outside.pem");
	touch(root, "outside.ocsp");
	atexit(cleanup);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether the client's name, lowered, one trailing dot dropped, is entry. */
static int name_is(const uint8_t *sni, size_t len, const char *entry)
{
	if (len > 0 && sni[len - 1] == '.')
		len--;
	if (strlen(entry) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (lower(sni[i]) != (unsigned char)entry[i])
			return 0;
	return 1;
}

/* Whether "*.parent" serves the name: one more label, and not an entry of its own. */
static int wildcard_serves(const uint8_t *sni, size_t len, const char *entry)
{
	const uint8_t *dot = memchr(sni, '.', len);

	return entry[0] == '*' && dot != NULL && dot > sni &&
	       name_is(dot, len - (size_t)(dot - sni), entry + 1);
}

static void check_reason(const char *err)
{
	if (err[0] == '\0')
		abort();
	for (const char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();
}

static void check_choice(const struct certs_choice *c, const char *dir,
			 const uint8_t *sni, size_t len, int strict,
			 int default_entry, int have_cert)
{
	char path[PATH_MAX];

	if (c->is_default && have_cert) {
		if (strcmp(c->cert_path, cert) != 0 ||
		    strcmp(c->key_path, cert) != 0 || c->cert_fd != -1)
			abort();
		return;
	}
	if (c->cert_fd < 0)
		abort();
	for (size_t i = 0; i < ENTRY_COUNT; i++) {
		if (strcmp(c->entry, entries[i].entry) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, entries[i].cert);
		if (strcmp(c->cert_path, path) != 0)
			abort();
		snprintf(path, sizeof path, "%s/%s", dir, entries[i].key);
		if (strcmp(c->key_path, path) != 0)
			abort();
		if (c->is_default != (i == ENTRY_COUNT - 1))
			abort();
		if (c->is_default && (strict || !default_entry))
			abort();
		if (!c->is_default && !name_is(sni, len, c->entry) &&
		    !wildcard_serves(sni, len, c->entry))
			abort();
		/* The name's own entry, when there is one, before the wildcard. */
		if (c->entry[0] == '*' && name_is(sni, len, "www.example.com"))
			abort();
		return;
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certs_choice c;
	struct options o;
	char err[1024] = "";
	int alert = 0;

	if (root[0] == '\0')
		setup();
	if (size == 0)
		return 0;
	int strict = data[0] & 1, have_cert = data[0] & 2,
	    default_entry = !(data[0] & 4);
	const char *dir = default_entry ? with_default : without_default;
	options_defaults(&o);
	o.cert_dir = dir;
	o.strict_sni = strict;
	o.cert = have_cert ? cert : NULL;

	int rc = certs_choose(&o, (const char *)data + 1, size - 1, &c, &alert,
			      err, sizeof err);
	if (rc == 0) {
		check_choice(&c, dir, data + 1, size - 1, strict,
			     default_entry, have_cert);
	} else if (rc == EX_PROTOCOL) {
		if (alert != GNUTLS_A_UNRECOGNIZED_NAME &&
		    alert != GNUTLS_A_HANDSHAKE_FAILURE)
			abort();
		/* Refused only when no default may serve it. */
		if (!strict && (default_entry || have_cert))
			abort();
		check_reason(err);
	} else {
		abort();
	}
	certs_choice_close(&c);
	return 0;
}
