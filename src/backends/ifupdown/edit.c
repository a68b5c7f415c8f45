/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Edits on the lines of one file: lines replaced or deleted, names dropped
 * from auto/allow-* lines, text inserted between lines ("gaps"); rendered
 * into the file's new contents in one pass. */

#include <arpa/inet.h>

#include "write.h"

size_t kn_ifupdown_n_lines(const edit *ed) {
        return ed->n;
}

edit *kn_ifupdown_edit_for(plan *p, kn_ifupdown_file *f, const char *path) {
        if (!f)
                f = kn_ifupdown_find_file(p->u, path);
        for (size_t k = 0; k < p->n_edits; k++)
                if (f ? p->edits[k]->f == f : streq(p->edits[k]->path, path))
                        return p->edits[k];
        edit *ed = kn_xcalloc(1, sizeof *ed);
        ed->f = f;
        ed->n = f ? f->n_lines : 0;
        ed->path = kn_xstrdup(f ? f->path : path);
        ed->del = kn_xcalloc(kn_ifupdown_n_lines(ed) + 1, sizeof *ed->del);
        ed->repl = kn_xcalloc(kn_ifupdown_n_lines(ed) + 1, sizeof *ed->repl);
        p->edits = kn_xrealloc(p->edits, (p->n_edits + 1) * sizeof *p->edits);
        p->edits[p->n_edits++] = ed;
        return ed;
}

void kn_ifupdown_edit_free(edit *ed) {
        for (size_t i = 0; i < kn_ifupdown_n_lines(ed); i++)
                free(ed->repl[i]);
        for (size_t k = 0; k < ed->n_ins; k++)
                free(ed->ins[k].text);
        free(ed->ins);
        free(ed->drops);
        free(ed->repl);
        free(ed->del);
        free(ed->path);
        free(ed);
}

void kn_ifupdown_add_ins(plan *p, edit *ed, size_t gap, int prio, char *text, const want *w,
                         const char *name) {
        GREEDY_REALLOC(ed->ins, ed->alloc_ins, ed->n_ins + 1);
        ed->ins[ed->n_ins++] = (ins){gap, prio, p->seq++, text, w, name};
}

void kn_ifupdown_add_drop(edit *ed, size_t line, const char *name) {
        GREEDY_REALLOC(ed->drops, ed->alloc_drops, ed->n_drops + 1);
        ed->drops[ed->n_drops++] = (drop){line, name};
}

static const char *indent_of(const kn_ifupdown_line *l, size_t *n) {
        *n = strspn(l->raw, " \t");
        return l->raw;
}

bool kn_ifupdown_foreign_option(const kn_ifupdown_stanza *s, const kn_ifupdown_line *l) {
        if (l->kind != IFU_OPTION)
                return false;
        int o = kn_ifupdown_opt_lookup(l->words[0], s->family);
        /* accept_ra is the model's only as "auto" with accept_ra 0 */
        if (o == IFU_O_ACCEPT_RA)
                return !streq_ptr(s->method, "auto") || !streq(l->value, "0");
        return o < 0;
}

/* Remove a stanza.  keep_comments: its comment lines stay where they are
 * (the interface lives on in other stanzas); otherwise all of it goes. */
void kn_ifupdown_delete_stanza(edit *ed, const kn_ifupdown_stanza *s, bool keep_comments) {
        const kn_ifupdown_file *f = ed->f;
        bool kept = false;
        for (size_t i = s->first; i < s->end; i++) {
                bool keep = keep_comments && f->lines[i].kind != IFU_IFACE &&
                            f->lines[i].kind != IFU_OPTION;
                ed->del[i] = !keep;
                kept |= keep && f->lines[i].kind == IFU_COMMENT;
        }
        if (kept)
                return;
        /* one blank line around it goes too, so blanks don't pile up */
        if (s->first > 0 && f->lines[s->first - 1].kind == IFU_BLANK && !ed->del[s->first - 1])
                ed->del[s->first - 1] = true;
        else if (s->end < f->n_lines && f->lines[s->end].kind == IFU_BLANK)
                ed->del[s->end] = true;
        else
                for (size_t i = s->first; i < s->end; i++)
                        ed->del[i] = true; /* blank lines inside */
}

/* Same setting, spelled differently ("ether 52:54:00:AB:..." and
 * "52:54:00:ab:...", "yes" and "on", "1" and "active-backup"): the line
 * the user wrote stays. */
static bool same_value(kn_ifupdown_opt o, const char *old, const char *new) {
        if (streq(old, new))
                return true;
        switch (o) {
        case IFU_O_BRIDGE_HW:
        case IFU_O_HWADDRESS: {
                char a[KN_MAC_STRLEN + 1], b[KN_MAC_STRLEN + 1];
                if (strncmp(old, "ether", 5) == 0 && (old[5] == ' ' || old[5] == '\t'))
                        old += 5 + strspn(old + 5, " \t");
                return kn_mac_parse(old, a) >= 0 && kn_mac_parse(new, b) >= 0 && streq(a, b);
        }
        case IFU_O_ADDRESS:
        case IFU_O_GATEWAY: {
                char a[46], b[46];
                const char *sa = strchr(old, '/'), *sb = strchr(new, '/');
                _cleanup_free_ char *ha = kn_xstrndup(old, sa ? (size_t) (sa - old) : strlen(old));
                _cleanup_free_ char *hb = kn_xstrndup(new, sb ? (size_t) (sb - new) : strlen(new));
                int fa = strchr(ha, ':') ? AF_INET6 : AF_INET,
                    fb = strchr(hb, ':') ? AF_INET6 : AF_INET;
                return fa == fb && kn_ip_canonical(fa, ha, a) >= 0 &&
                       kn_ip_canonical(fb, hb, b) >= 0 && streq(a, b) && streq_ptr(sa, sb);
        }
        case IFU_O_BRIDGE_STP: {
                bool a = streq(old, "on") || streq(old, "yes"), b = streq(new, "on");
                return a == b;
        }
        case IFU_O_BOND_MODE:
                return kn_ifupdown_bond_mode_parse(old) == kn_ifupdown_bond_mode_parse(new);
        case IFU_O_BOND_ARP_VALIDATE:
                return kn_ifupdown_arp_validate_parse(old) == kn_ifupdown_arp_validate_parse(new);
        default: return false;
        }
}

void kn_ifupdown_edit_in_place(plan *p, const char *name, want *w) {
        kn_ifupdown_file *f = w->f;
        const kn_ifupdown_stanza *s = w->s;
        edit *ed = kn_ifupdown_edit_for(p, f, NULL);
        const kn_ifupdown_line *hdr = &f->lines[s->first];
        if (!streq_ptr(s->method, w->method)) {
                kn_strbuf b = {0};
                kn_strbuf_putn(&b, hdr->raw, strspn(hdr->raw, " \t"));
                kn_strbuf_printf(&b, "iface %s %s %s", name,
                                 kn_ifupdown_family_to_string(w->family), w->method);
                for (size_t k = 4; k < hdr->n_words; k++)
                        kn_strbuf_printf(&b, " %s", hdr->words[k]);
                kn_strbuf_putc(&b, '\n');
                ed->repl[s->first] = kn_strbuf_steal(&b);
        }
        /* "address A" with "netmask M" that already says the wanted A/P:
         * both lines stay as the user wrote them. */
        const kn_ifupdown_line *netmask = NULL, *addr = NULL;
        kn_ifupdown_stanza_option(f, s, "netmask", &netmask);
        kn_ifupdown_stanza_option(f, s, "address", &addr);
        bool keep_netmask = false;
        if (netmask && addr && !strchr(addr->value, '/'))
                for (size_t j = 0; j < w->n_opts; j++)
                        if (w->opts[j].o == IFU_O_ADDRESS) {
                                int prefix = kn_ifupdown_netmask_prefix(
                                        w->family == IFU_INET ? AF_INET : AF_INET6, netmask->value);
                                _cleanup_free_ char *eff =
                                        kn_xasprintf("%s/%d", addr->value, prefix);
                                keep_netmask = prefix >= 0 &&
                                               same_value(IFU_O_ADDRESS, eff, w->opts[j].value);
                                break;
                        }
        bool used[_IFU_O_MAX * 2] = {0};
        if (w->n_opts > ELEMENTSOF(used))
                abort(); /* want_node never makes that many */
        size_t last_owned = 0, ind_n = 4;
        const char *ind = "        ";
        bool have_ind = false;
        for (size_t i = s->first + 1; i < s->end; i++) {
                const kn_ifupdown_line *l = &f->lines[i];
                if (l->kind != IFU_OPTION)
                        continue;
                if (!have_ind) {
                        ind = indent_of(l, &ind_n);
                        have_ind = true;
                }
                int o = kn_ifupdown_opt_lookup(l->words[0], s->family);
                if (o < 0 || (keep_netmask && l == netmask))
                        continue;
                size_t j = 0;
                while (j < w->n_opts && (used[j] || w->opts[j].o != (kn_ifupdown_opt) o))
                        j++;
                if (j == w->n_opts) {
                        /* bridge_hw naming a device: nothing the model says */
                        if (o == IFU_O_BRIDGE_HW && kn_mac_parse(l->value, NULL) < 0)
                                continue;
                        /* only "accept_ra 0" in an "auto" stanza is the
                         * model's (no <autoconf/>); 1 or 2 there, or any
                         * value in another method, is the user's */
                        if (o == IFU_O_ACCEPT_RA &&
                            (!streq(l->value, "0") || !streq(w->method, "auto")))
                                continue;
                        ed->del[i] = true;
                        continue;
                }
                used[j] = true;
                last_owned = i;
                if (!(keep_netmask && l == addr) &&
                    !same_value((kn_ifupdown_opt) o, l->value, w->opts[j].value)) {
                        size_t n;
                        const char *li = indent_of(l, &n);
                        ed->repl[i] = kn_xasprintf("%.*s%s %s\n", (int) n, li, l->words[0],
                                                   w->opts[j].value);
                }
        }
        kn_strbuf add = {0};
        for (size_t j = 0; j < w->n_opts; j++)
                if (!used[j])
                        kn_strbuf_printf(&add, "%.*s%s %s\n", (int) ind_n, ind,
                                         kn_ifupdown_opt_key(w->opts[j].o), w->opts[j].value);
        if (add.len)
                kn_ifupdown_add_ins(p, ed, last_owned ? last_owned + 1 : s->first + 1, 0,
                                    kn_strbuf_steal(&add), NULL, NULL);
}

static int cmp_ins(const void *a, const void *b) {
        const ins *x = a, *y = b;
        if (x->gap != y->gap)
                return x->gap < y->gap ? -1 : 1;
        if (x->prio != y->prio)
                return x->prio - y->prio;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void ensure_nl(kn_strbuf *b) {
        if (b->len && b->s[b->len - 1] != '\n')
                kn_strbuf_putc(b, '\n');
}

static bool ends_blank(const kn_strbuf *b) {
        return b->len == 0 || (b->len >= 2 && b->s[b->len - 1] == '\n' && b->s[b->len - 2] == '\n');
}

static void render_want(kn_strbuf *b, const char *name, const want *w) {
        if (w->mention)
                kn_strbuf_printf(b, "%s %s\n", w->mention, name);
        kn_strbuf_printf(b, "iface %s %s %s\n", name, kn_ifupdown_family_to_string(w->family),
                         w->method);
        for (size_t k = 0; k < w->n_opts; k++)
                kn_strbuf_printf(b, "    %s %s\n", kn_ifupdown_opt_key(w->opts[k].o),
                                 w->opts[k].value);
}

static void render_start_line(kn_strbuf *b, const edit *ed, size_t i) {
        const kn_ifupdown_line *l = &ed->f->lines[i];
        bool any = false;
        for (size_t k = 0; k < ed->n_drops && !any; k++)
                any = ed->drops[k].line == i;
        if (!any) {
                kn_strbuf_putn(b, l->raw, l->raw_len);
                return;
        }
        kn_strbuf line = {0};
        size_t kept = 0;
        kn_strbuf_putn(&line, l->raw, strspn(l->raw, " \t"));
        kn_strbuf_puts(&line, l->words[0]);
        for (size_t w = 1; w < l->n_words; w++) {
                bool dropped = false;
                for (size_t k = 0; k < ed->n_drops && !dropped; k++)
                        dropped = ed->drops[k].line == i && streq(ed->drops[k].name, l->words[w]);
                if (!dropped) {
                        kn_strbuf_printf(&line, " %s", l->words[w]);
                        kept++;
                }
        }
        if (kept) {
                kn_strbuf_putc(&line, '\n');
                kn_strbuf_putn(b, line.s, line.len);
        }
        kn_strbuf_done(&line);
}

char *kn_ifupdown_render(edit *ed) {
        kn_strbuf b = {0};
        size_t n = kn_ifupdown_n_lines(ed);
        if (ed->n_ins > 1)
                qsort_safe(ed->ins, ed->n_ins, sizeof *ed->ins, cmp_ins);
        size_t k = 0;
        for (size_t g = 0; g <= n; g++) {
                for (; k < ed->n_ins && ed->ins[k].gap == g; k++) {
                        const ins *in = &ed->ins[k];
                        ensure_nl(&b);
                        if (in->text) {
                                kn_strbuf_puts(&b, in->text);
                                continue;
                        }
                        if (in->prio != 2 && !ends_blank(&b))
                                kn_strbuf_putc(&b, '\n');
                        render_want(&b, in->name, in->w);
                        if (in->prio == 2 && g < n && ed->f->lines[g].kind != IFU_BLANK)
                                kn_strbuf_putc(&b, '\n');
                }
                if (g == n)
                        break;
                if (ed->del[g])
                        continue;
                if (ed->repl[g] || b.len)
                        ensure_nl(&b);
                if (ed->repl[g])
                        kn_strbuf_puts(&b, ed->repl[g]);
                else if (ed->f->lines[g].kind == IFU_START)
                        render_start_line(&b, ed, g);
                else
                        kn_strbuf_putn(&b, ed->f->lines[g].raw, ed->f->lines[g].raw_len);
        }
        return kn_strbuf_steal(&b);
}
