/* Encoders and decoders for the UDP data-channel header and the socket-op
 * bodies (layouts in chan.h).  Linked by tapsockd, the shim and the unit
 * tests; no I/O here. */
#include "chan.h"

#include <errno.h>
#include <string.h>

#include "wire.h"

void ts_chan_hdr_encode(const struct ts_chan_hdr *h, uint8_t *buf)
{
	buf[0] = h->kind;
	buf[1] = h->flags;
	ts_put16(buf + 2, h->port);
	ts_put32(buf + 4, h->addr);
	buf[8] = (uint8_t)h->err;
	buf[9] = (uint8_t)(h->err >> 8);
	buf[10] = (uint8_t)(h->err >> 16);
	buf[11] = (uint8_t)(h->err >> 24);
	ts_put32(buf + 12, h->dst);
	buf[16] = h->ttl;
	buf[17] = h->tos;
	buf[18] = 0;
	buf[19] = 0;
}

int ts_chan_hdr_decode(const uint8_t *buf, size_t n, struct ts_chan_hdr *h)
{
	if (buf == NULL || n < TS_CHAN_HDR_LEN)
		return -EBADMSG;
	if (buf[0] != TS_CHAN_DATA && buf[0] != TS_CHAN_ERROR)
		return -EBADMSG;
	h->kind = buf[0];
	h->flags = buf[1];
	h->port = ts_get16(buf + 2);
	h->addr = ts_get32(buf + 4);
	h->err = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
		 (uint32_t)buf[11] << 24;
	h->dst = ts_get32(buf + 12);
	h->ttl = buf[16];
	h->tos = buf[17];
	return 0;
}

int ts_ctl_sock_req_encode(struct ts_ctl_wr *w, const struct ts_ctl_sock_req *m)
{
	if (m->n > TS_CHAN_MAX_OPT)
		return -EMSGSIZE;
	ts_ctl_put_u8(w, m->type);
	ts_ctl_put_u8(w, m->proto);
	ts_ctl_put_u8(w, m->flag);
	ts_ctl_put_u32(w, m->addr);
	ts_ctl_put_u16(w, m->port);
	ts_ctl_put_u32(w, (uint32_t)m->level);
	ts_ctl_put_u32(w, (uint32_t)m->name);
	ts_ctl_put_u32(w, m->optlen);
	ts_ctl_put_u16(w, m->n);
	ts_ctl_put_bytes(w, m->opt, m->n);
	return w->err ? -EMSGSIZE : 0;
}

int ts_ctl_sock_req_decode(const uint8_t *body, size_t len, struct ts_ctl_sock_req *m)
{
	struct ts_ctl_rd r;

	memset(m, 0, sizeof(*m));
	ts_ctl_rd_init(&r, body, len);
	m->type = ts_ctl_get_u8(&r);
	m->proto = ts_ctl_get_u8(&r);
	m->flag = ts_ctl_get_u8(&r);
	m->addr = ts_ctl_get_u32(&r);
	m->port = ts_ctl_get_u16(&r);
	m->level = (int32_t)ts_ctl_get_u32(&r);
	m->name = (int32_t)ts_ctl_get_u32(&r);
	m->optlen = ts_ctl_get_u32(&r);
	m->n = ts_ctl_get_u16(&r);
	if (r.err || m->n > TS_CHAN_MAX_OPT)
		return -EBADMSG;
	ts_ctl_get_bytes(&r, m->opt, m->n);
	return ts_ctl_rd_end(&r);
}

int ts_ctl_sock_rep_encode(struct ts_ctl_wr *w, const struct ts_ctl_sock_rep *m)
{
	if (m->n > TS_CHAN_MAX_OPT)
		return -EMSGSIZE;
	ts_ctl_put_u32(w, m->addr);
	ts_ctl_put_u16(w, m->port);
	ts_ctl_put_u64(w, m->id);
	ts_ctl_put_u16(w, m->n);
	ts_ctl_put_bytes(w, m->opt, m->n);
	return w->err ? -EMSGSIZE : 0;
}

int ts_ctl_sock_rep_decode(const uint8_t *body, size_t len, struct ts_ctl_sock_rep *m)
{
	struct ts_ctl_rd r;

	memset(m, 0, sizeof(*m));
	ts_ctl_rd_init(&r, body, len);
	m->addr = ts_ctl_get_u32(&r);
	m->port = ts_ctl_get_u16(&r);
	m->id = ts_ctl_get_u64(&r);
	m->n = ts_ctl_get_u16(&r);
	if (r.err || m->n > TS_CHAN_MAX_OPT)
		return -EBADMSG;
	ts_ctl_get_bytes(&r, m->opt, m->n);
	return ts_ctl_rd_end(&r);
}
