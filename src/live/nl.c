/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One request, its replies, its ack.  libnl builds and sends the message;
 * the replies are read here straight into one buffer per handle, because
 * a 3,000-link dump should not cost an allocation per message, and because
 * the caller must see the kernel's errno and extended-ack text unchanged
 * ("Nexthop has invalid gateway"), which libnl maps to its own codes. */

#include <stdarg.h>
#include <sys/socket.h>

#include "live-internal.h"

static const char *extack_message(struct nlmsghdr *h) {
        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return NULL;
        struct nlmsgerr *e = nlmsg_data(h);
        size_t off = sizeof *e;
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - NLMSG_HDRLEN;
        if (NLMSG_HDRLEN + off >= h->nlmsg_len)
                return NULL;
        struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
        if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *) ((char *) e + off),
                      (int) (h->nlmsg_len - NLMSG_HDRLEN - off), NULL) < 0)
                return NULL;
        return tb[NLMSGERR_ATTR_MSG] ? nla_data(tb[NLMSGERR_ATTR_MSG]) : NULL;
}

static int fail(kn_error *err, int error, const char *kmsg, const char *fmt, va_list ap) {
        if (!err || err->code)
                return -error;
        char what[512];
        vsnprintf(what, sizeof what, fmt, ap);
        if (!isempty(kmsg))
                return kn_error_set(err, error, "%s: %s (%s)", what, kmsg, strerror(error));
        return kn_error_set(err, error, "%s: %s", what, strerror(error));
}

int kn_nl_call(kn_netns *ns, struct nl_sock *sk, struct nl_msg *m, kn_nl_reply_fn fn,
               void *userdata, kn_error *err, const char *what_fmt, ...) {
        va_list ap;
        if (!sk)
                sk = ns->rt;
        nl_complete_msg(sk, m);
        struct nlmsghdr *req = nlmsg_hdr(m);
        req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        uint32_t seq = req->nlmsg_seq;
        int r = nl_send(sk, m);
        nlmsg_free(m);
        if (r < 0) {
                va_start(ap, what_fmt);
                r = fail(err, EIO, nl_geterror(r), what_fmt, ap);
                va_end(ap);
                return r;
        }

        int fd = nl_socket_get_fd(sk), cb_r = 0;
        bool intr = false;
        for (;;) {
                ssize_t n = recv(fd, ns->buf, ns->buf_size, MSG_TRUNC);
                if (n < 0 && errno == EINTR)
                        continue;
                int e = n < 0 ? errno : (size_t) n > ns->buf_size ? EMSGSIZE : 0;
                if (e) {
                        va_start(ap, what_fmt);
                        r = fail(err, e, "reading the reply", what_fmt, ap);
                        va_end(ap);
                        return r;
                }
                int len = (int) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) ns->buf; nlmsg_ok(h, len);
                     h = nlmsg_next(h, &len)) {
                        if (h->nlmsg_seq != seq)
                                continue; /* left over from an aborted request */
                        intr |= h->nlmsg_flags & NLM_F_DUMP_INTR;
                        int error = 0;
                        if (h->nlmsg_type == NLMSG_DONE) {
                                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
                                        error = -*(int *) nlmsg_data(h);
                        } else if (h->nlmsg_type == NLMSG_ERROR) {
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                                        error = EBADMSG;
                                else
                                        error = -((struct nlmsgerr *) nlmsg_data(h))->error;
                        } else {
                                if (fn && cb_r >= 0)
                                        cb_r = fn(h, userdata);
                                continue;
                        }
                        if (error > 0) {
                                va_start(ap, what_fmt);
                                r = fail(err, error, extack_message(h), what_fmt, ap);
                                va_end(ap);
                                return r;
                        }
                        if (cb_r < 0) {
                                va_start(ap, what_fmt);
                                r = fail(err, -cb_r, "unexpected reply", what_fmt, ap);
                                va_end(ap);
                                return r;
                        }
                        return intr ? -EINTR : 0;
                }
        }
}

int kn_nl_call_batch(kn_netns *ns, struct nl_msg **m, size_t n, kn_error *err, const char *what_fmt,
                     ...) {
        va_list ap;
        struct nl_sock *sk = ns->rt;
        _cleanup_strbuf_ kn_strbuf buf = {0};
        uint32_t first_seq = 0;
        for (size_t k = 0; k < n; k++) {
                nl_complete_msg(sk, m[k]);
                struct nlmsghdr *h = nlmsg_hdr(m[k]);
                h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
                if (k == 0)
                        first_seq = h->nlmsg_seq;
                kn_strbuf_putn(&buf, (const char *) h, NLMSG_ALIGN(h->nlmsg_len));
                nlmsg_free(m[k]);
        }
        int fd = nl_socket_get_fd(sk);
        ssize_t sent;
        while ((sent = send(fd, buf.s, buf.len, 0)) < 0 && errno == EINTR)
                ;
        if (sent != (ssize_t) buf.len) {
                va_start(ap, what_fmt);
                int r = fail(err, sent < 0 ? errno : EIO, "sending", what_fmt, ap);
                va_end(ap);
                return r;
        }
        /* Every message is acked, also after an error in an earlier one. */
        size_t acked = 0;
        int r = 0;
        while (acked < n) {
                ssize_t got = recv(fd, ns->buf, ns->buf_size, MSG_TRUNC);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0 || (size_t) got > ns->buf_size) {
                        va_start(ap, what_fmt);
                        r = fail(err, got < 0 ? errno : EMSGSIZE, "reading the reply", what_fmt,
                                 ap);
                        va_end(ap);
                        return r;
                }
                int len = (int) got;
                for (struct nlmsghdr *h = (struct nlmsghdr *) ns->buf; nlmsg_ok(h, len);
                     h = nlmsg_next(h, &len)) {
                        if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq - first_seq >= n)
                                continue;
                        acked++;
                        int error = h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))
                                            ? EBADMSG
                                            : -((struct nlmsgerr *) nlmsg_data(h))->error;
                        if (error > 0 && r == 0) {
                                va_start(ap, what_fmt);
                                r = fail(err, error, extack_message(h), what_fmt, ap);
                                va_end(ap);
                        }
                }
        }
        return r;
}
