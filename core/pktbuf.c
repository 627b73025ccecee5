/* Packet buffer allocation and header push/pull.  Used by every layer of
 * the engine and by the tests, which check ts_pkt_live() for leaks. */
#include "pktbuf.h"

#include <stdlib.h>
#include <string.h>

static long pkt_live;

struct pktbuf *ts_pkt_alloc(size_t len)
{
	size_t size = TS_PKT_HEADROOM + len;
	struct pktbuf *pkt = malloc(sizeof(*pkt) + size);

	if (pkt == NULL)
		return NULL;
	memset(pkt, 0, sizeof(*pkt));
	pkt->size = size;
	pkt->data = pkt->buf + TS_PKT_HEADROOM;
	pkt_live++;
	return pkt;
}

struct pktbuf *ts_pkt_from(const void *p, size_t n)
{
	struct pktbuf *pkt = ts_pkt_alloc(n);

	if (pkt == NULL)
		return NULL;
	if (n > 0)
		memcpy(ts_pkt_put(pkt, n), p, n);
	return pkt;
}

struct pktbuf *ts_pkt_clone(const struct pktbuf *pkt)
{
	struct pktbuf *c = malloc(sizeof(*c) + pkt->size);

	if (c == NULL)
		return NULL;
	memcpy(c, pkt, sizeof(*c) + pkt->size);
	c->data = c->buf + (pkt->data - pkt->buf);
	c->next = NULL;
	pkt_live++;
	return c;
}

void ts_pkt_free(struct pktbuf *pkt)
{
	if (pkt == NULL)
		return;
	pkt_live--;
	free(pkt);
}

void ts_pkt_free_chain(struct pktbuf *pkt)
{
	while (pkt != NULL) {
		struct pktbuf *next = pkt->next;

		ts_pkt_free(pkt);
		pkt = next;
	}
}

size_t ts_pkt_headroom(const struct pktbuf *pkt)
{
	return (size_t)(pkt->data - pkt->buf);
}

size_t ts_pkt_tailroom(const struct pktbuf *pkt)
{
	return pkt->size - ts_pkt_headroom(pkt) - pkt->len;
}

uint8_t *ts_pkt_put(struct pktbuf *pkt, size_t n)
{
	uint8_t *tail = pkt->data + pkt->len;

	if (ts_pkt_tailroom(pkt) < n)
		return NULL;
	pkt->len += n;
	return tail;
}

uint8_t *ts_pkt_push(struct pktbuf *pkt, size_t n)
{
	if (ts_pkt_headroom(pkt) < n)
		return NULL;
	pkt->data -= n;
	pkt->len += n;
	return pkt->data;
}

uint8_t *ts_pkt_pull(struct pktbuf *pkt, size_t n)
{
	if (pkt->len < n)
		return NULL;
	pkt->data += n;
	pkt->len -= n;
	return pkt->data;
}

void ts_pkt_trim(struct pktbuf *pkt, size_t len)
{
	if (pkt->len > len)
		pkt->len = len;
}

long ts_pkt_live(void)
{
	return pkt_live;
}
