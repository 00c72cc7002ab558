/* addr: parse a backend address (host:port, [v6]:port, unix:/path, @abstract). Pure. */
#ifndef TLSMUX_ADDR_H
#define TLSMUX_ADDR_H

#include <sys/un.h>

enum addr_kind {
	ADDR_INET,		/* host name, IPv4 or IPv6 literal, and a port */
	ADDR_UNIX,		/* a path in the file system */
	ADDR_ABSTRACT,		/* a Linux abstract socket name */
};

struct addr {
	enum addr_kind kind;
	char host[256];		/* without brackets */
	char port[6];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *text;	/* as the user wrote it, for messages */
};

/* Returns 0, or -1 with *why set to a static message. */
int addr_parse(const char *text, struct addr *out, const char **why);

#endif
