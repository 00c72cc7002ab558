/* sniff: tell a TLS ClientHello from anything else by the first bytes. Pure. */
#ifndef TLSMUX_SNIFF_H
#define TLSMUX_SNIFF_H

#include <stddef.h>

/* No decision ever needs more than this many bytes. */
#define SNIFF_MAX 6

enum sniff_result {
	SNIFF_NEED_MORE,	/* could still be a TLS or SSLv2 hello */
	SNIFF_TLS,		/* a TLS handshake record carrying a ClientHello */
	SNIFF_SSLV2,		/* an SSLv2-format ClientHello */
	SNIFF_PLAIN,		/* anything else */
};

enum sniff_result sniff_classify(const unsigned char *buf, size_t len);
const char *sniff_name(enum sniff_result result);

#endif
