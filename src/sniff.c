/*
 * sniff: classify a connection from its first bytes.
 *
 * A TLS connection opens with a handshake record: 0x16, record version
 * 0x03 0x00..0x04, a two-byte length, then handshake type 0x01
 * (ClientHello).  Six bytes decide; the rest of the hello is never
 * awaited, because post-quantum hellos span several segments.  Any
 * byte that breaks the pattern means plain, at once.
 */
#include "sniff.h"

/* TLSPlaintext.length may not exceed 2^14 (RFC 8446 5.1). */
#define TLS_RECORD_MAX 16384

static enum sniff_result sniff_tls(const unsigned char *b, size_t len)
{
	if (len < 2)
		return SNIFF_NEED_MORE;
	if (b[1] != 0x03)
		return SNIFF_PLAIN;
	if (len < 3)
		return SNIFF_NEED_MORE;
	if (b[2] > 0x04)
		return SNIFF_PLAIN;
	if (len < 5)
		return SNIFF_NEED_MORE;
	unsigned record_len = (unsigned)b[3] << 8 | b[4];
	if (record_len == 0 || record_len > TLS_RECORD_MAX)
		return SNIFF_PLAIN;
	if (len < 6)
		return SNIFF_NEED_MORE;
	return b[5] == 0x01 ? SNIFF_TLS : SNIFF_PLAIN;
}

/*
 * SSLv2 record header: two bytes of length with the high bit set, then
 * message type 0x01 (CLIENT-HELLO) and the client's version, 0x0002 or
 * 0x03xx (the SSLv2-compatible hello of old SSLv3/TLS clients).
 */
static enum sniff_result sniff_sslv2(const unsigned char *b, size_t len)
{
	if (len < 3)
		return SNIFF_NEED_MORE;
	/* A CLIENT-HELLO is at least 9 bytes long: type, version, 3 lengths. */
	if (b[2] != 0x01 || ((unsigned)(b[0] & 0x7f) << 8 | b[1]) < 9)
		return SNIFF_PLAIN;
	if (len < 4)
		return SNIFF_NEED_MORE;
	if (b[3] != 0x00 && b[3] != 0x03)
		return SNIFF_PLAIN;
	if (len < 5)
		return SNIFF_NEED_MORE;
	if (b[3] == 0x00)
		return b[4] == 0x02 ? SNIFF_SSLV2 : SNIFF_PLAIN;
	return b[4] <= 0x04 ? SNIFF_SSLV2 : SNIFF_PLAIN;
}

enum sniff_result sniff_classify(const unsigned char *buf, size_t len)
{
	if (len == 0)
		return SNIFF_NEED_MORE;
	if (buf[0] == 0x16)
		return sniff_tls(buf, len);
	if (buf[0] & 0x80)
		return sniff_sslv2(buf, len);
	return SNIFF_PLAIN;
}

const char *sniff_name(enum sniff_result result)
{
	switch (result) {
	case SNIFF_NEED_MORE:
		return "need-more";
	case SNIFF_TLS:
		return "tls";
	case SNIFF_SSLV2:
		return "sslv2";
	case SNIFF_PLAIN:
		return "plain";
	}
	return "?";
}
