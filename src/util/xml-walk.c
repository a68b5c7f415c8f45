/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xml-walk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libxml/parser.h>
#include <stdarg.h>

#include "macro.h"

static const char *src(const kn_xml *x) {
        return x->source ? x->source : "<input>";
}

int kn_xml_read(kn_xml *x, const char *xml, size_t len, xmlDoc **ret) {
        xmlParserCtxtPtr pctx = xmlNewParserCtxt();
        if (!pctx)
                return kn_error_set(x->err, ENOMEM, "%s: out of memory", src(x));
        /* NONET: never fetch anything; no NOENT: entities are not expanded. */
        xmlDoc *doc = xmlCtxtReadMemory(pctx, xml, (int) len, src(x), NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                const xmlError *e = xmlCtxtGetLastError(pctx);
                char msg[512];
                snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "unknown");
                /* libxml2's messages end in a newline and may hold more */
                for (char *p = msg; *p; p++)
                        if (*p == '\n')
                                *p = p[1] ? ' ' : '\0';
                kn_xml_fault_info f = {
                        .fault = KN_XML_MALFORMED, .value = msg, .line = e ? e->line : 0};
                xmlFreeParserCtxt(pctx);
                return kn_xml_report(x, &f);
        }
        xmlFreeParserCtxt(pctx);
        if (doc->intSubset) {
                xmlFreeDoc(doc);
                return kn_error_set(x->err, EINVAL, "%s: a DOCTYPE is not accepted", src(x));
        }
        *ret = doc;
        return 0;
}

static int failv(kn_xml *x, const xmlNode *n, const char *fmt, va_list ap) {
        char msg[KN_ERROR_MAX - 128], name[128];
        vsnprintf(msg, sizeof msg, fmt, ap);
        kn_xml_node_name(x, n, name, sizeof name);
        return kn_error_set(x->err, EINVAL, "%s:%ld: element <%s>: %s", src(x), xmlGetLineNo(n),
                            name, msg);
}

int kn_xml_fail(kn_xml *x, const xmlNode *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = failv(x, n, fmt, ap);
        va_end(ap);
        return r;
}

static int failf(kn_xml *x, const xmlNode *n, const char *fmt, ...) _printf_(3, 4);
static int failf(kn_xml *x, const xmlNode *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = failv(x, n, fmt, ap);
        va_end(ap);
        return r;
}

int kn_xml_report(kn_xml *x, const kn_xml_fault_info *f) {
        if (x->say)
                return x->say(x, f);
        switch (f->fault) {
        case KN_XML_MALFORMED:
                return kn_error_set(x->err, EINVAL, "%s:%ld: malformed XML: %s", src(x), f->line,
                                    f->value);
        case KN_XML_UNKNOWN_ATTR:
                return failf(x, f->node, "unknown attribute '%s' (valid: %s)", f->name, f->valid);
        case KN_XML_UNKNOWN_CHILD:
                return failf(x, f->node, "not expected inside <%s> (valid there: %s)",
                             f->parent_name, f->valid);
        case KN_XML_TWICE:
                return failf(x, f->node, "given twice (first on line %ld)", xmlGetLineNo(f->first));
        case KN_XML_BAD_KIND:
                return failf(x, f->node, "attribute '%s': unknown value '%s' (valid: %s)", f->name,
                             f->value, f->valid);
        }
        return -EINVAL;
}

bool kn_xml_is(const xmlNode *n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && streq((const char *) n->name, name);
}

static bool foreign(const kn_xml *x, const xmlNode *n) {
        return n->ns && n->ns->href && x->ns_href && streq((const char *) n->ns->href, x->ns_href);
}

void kn_xml_node_name(const kn_xml *x, const xmlNode *n, char *buf, size_t size) {
        if (foreign(x, n))
                snprintf(buf, size, "%s:%s", x->ns_prefix, (const char *) n->name);
        else if (n->ns && n->ns->href)
                snprintf(buf, size, "%s:%s", n->ns->prefix ? (const char *) n->ns->prefix : "",
                         (const char *) n->name);
        else
                snprintf(buf, size, "%s", (const char *) n->name);
}

xmlNode *kn_xml_child(const kn_xml *x, const xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (kn_xml_is(c, name) && !foreign(x, c))
                        return c;
        return NULL;
}

char *kn_xml_prop(const xmlNode *n, const char *name) {
        xmlChar *v = n ? xmlGetProp(n, (const xmlChar *) name) : NULL;
        char *s = v ? kn_xstrdup((const char *) v) : NULL;
        xmlFree(v);
        return s;
}

char *kn_xml_text(const xmlNode *n) {
        xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
        if (!v)
                return NULL;
        const char *p = (const char *) v;
        while (isspace((unsigned char) *p))
                p++;
        size_t l = strlen(p);
        while (l > 0 && isspace((unsigned char) p[l - 1]))
                l--;
        char *s = kn_xstrndup(p, l);
        xmlFree(v);
        return s;
}

static void list_string(const char *const *l, char *buf, size_t size) {
        buf[0] = '\0';
        for (size_t k = 0; l && l[k]; k++)
                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? ", " : "", l[k]);
        if (!buf[0])
                snprintf(buf, size, "none");
}

static bool in_list(const char *const *l, const char *s) {
        for (size_t k = 0; l && l[k]; k++)
                if (streq(l[k], s))
                        return true;
        return false;
}

int kn_xml_check_attrs(kn_xml *x, const xmlNode *n, const char *const *allowed) {
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                if (in_list(allowed, (const char *) a->name))
                        continue;
                char valid[256];
                list_string(allowed, valid, sizeof valid);
                kn_xml_fault_info f = {.fault = KN_XML_UNKNOWN_ATTR,
                                       .node = n,
                                       .name = (const char *) a->name,
                                       .valid = valid,
                                       .line = xmlGetLineNo(n)};
                return kn_xml_report(x, &f);
        }
        return 0;
}

int kn_xml_check_text(kn_xml *x, const xmlNode *parent, const xmlNode *n) {
        if (n->type != XML_TEXT_NODE)
                return 0;
        _cleanup_free_ char *t = kn_xml_text(n);
        if (!isempty(t))
                return kn_xml_fail(x, parent, "unexpected text '%.20s'", t);
        return 0;
}

int kn_xml_unexpected(kn_xml *x, const xmlNode *parent, const xmlNode *child, const char *valid) {
        char pname[128], cname[128];
        kn_xml_node_name(x, parent, pname, sizeof pname);
        kn_xml_node_name(x, child, cname, sizeof cname);
        kn_xml_fault_info f = {.fault = KN_XML_UNKNOWN_CHILD,
                               .node = child,
                               .parent = parent,
                               .name = cname,
                               .parent_name = pname,
                               .valid = valid,
                               .line = xmlGetLineNo(child)};
        return kn_xml_report(x, &f);
}

int kn_xml_no_children(kn_xml *x, const xmlNode *n) {
        int r;
        KN_XML_FOREACH_CHILD(x, n, child, r) return kn_xml_unexpected(x, n, child, "nothing");
        return 0;
}

int kn_xml_attr(kn_xml *x, const xmlNode *n, const char *name, bool required, char **ret) {
        char *v = kn_xml_prop(n, name);
        if (!v) {
                if (required)
                        return kn_xml_fail(x, n, "attribute '%s' is missing", name);
                return 0;
        }
        free(*ret);
        *ret = v;
        return 0;
}

int kn_xml_attr_uint(kn_xml *x, const xmlNode *n, const char *name, bool required,
                     unsigned long min, unsigned long max, long *ret) {
        _cleanup_free_ char *v = NULL;
        int r = kn_xml_attr(x, n, name, required, &v);
        if (r < 0)
                return r;
        if (!v) {
                *ret = -1;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long u = strtoul(v, &end, 10);
        if (!*v || *end || !isdigit((unsigned char) v[0]) || errno)
                return kn_xml_fail(x, n, "attribute '%s': '%s' is not an unsigned integer", name,
                                   v);
        if (u < min || u > max)
                return kn_xml_fail(x, n, "attribute '%s': %lu is out of range (valid: %lu-%lu)",
                                   name, u, min, max);
        *ret = (long) u;
        return 0;
}

int kn_xml_attr_switch(kn_xml *x, const xmlNode *n, const char *name, const char *yes,
                       const char *no, int *ret) {
        _cleanup_free_ char *v = kn_xml_prop(n, name);
        if (!v)
                return 0;
        if (streq(v, yes))
                *ret = 1;
        else if (streq(v, no))
                *ret = 0;
        else
                return kn_xml_fail(x, n, "attribute '%s': '%s' is not '%s' or '%s'", name, v, yes,
                                   no);
        return 0;
}

int kn_xml_attr_enum(kn_xml *x, const xmlNode *n, const char *name, bool required,
                     const char *const *table, size_t n_table, int *ret) {
        _cleanup_free_ char *v = NULL;
        int r = kn_xml_attr(x, n, name, required, &v);
        if (r < 0 || !v)
                return r;
        for (size_t k = 0; k < n_table; k++)
                if (table[k] && streq(table[k], v)) {
                        *ret = (int) k;
                        return 0;
                }
        return kn_xml_fail(x, n, "attribute '%s': unknown value '%s'", name, v);
}

int kn_xml_attr_mac(kn_xml *x, const xmlNode *n, const char *name, bool required,
                    uint8_t mac[KN_MAC_LEN], bool *present) {
        _cleanup_free_ char *v = NULL;
        int r = kn_xml_attr(x, n, name, required, &v);
        if (r < 0 || !v)
                return r;
        if (kn_mac_from_string(v, mac) < 0)
                return kn_xml_fail(x, n,
                                   "attribute '%s': '%s' is not a MAC address (valid: six hex "
                                   "pairs like 52:54:00:12:34:56)",
                                   name, v);
        if (present)
                *present = true;
        return 0;
}

int kn_xml_attr_ip(kn_xml *x, const xmlNode *n, const char *name, bool required, int family,
                   kn_xml_ip *ret) {
        _cleanup_free_ char *v = NULL;
        int r = kn_xml_attr(x, n, name, required, &v);
        if (r < 0 || !v)
                return r;
        kn_xml_ip ip = {0};
        if ((family == AF_INET || family == AF_UNSPEC) && inet_pton(AF_INET, v, ip.addr) == 1)
                ip.family = AF_INET;
        else if ((family == AF_INET6 || family == AF_UNSPEC) &&
                 inet_pton(AF_INET6, v, ip.addr) == 1)
                ip.family = AF_INET6;
        else
                return kn_xml_fail(x, n, "attribute '%s': '%s' is not an %s address", name, v,
                                   family == AF_INET    ? "IPv4"
                                   : family == AF_INET6 ? "IPv6"
                                                        : "IPv4 or IPv6");
        inet_ntop(ip.family, ip.addr, ip.text, sizeof ip.text);
        *ret = ip;
        return 0;
}

/* ---- rule tables ---- */

static const kn_xml_rule *rule_for(const kn_xml_rule *rules, size_t n_rules, const char *parent,
                                   const char *name) {
        char where[256];
        snprintf(where, sizeof where, "%s/%s", parent ? parent : "", name);
        for (size_t k = 0; k < n_rules; k++)
                if (streq(rules[k].where, where))
                        return &rules[k];
        for (size_t k = 0; k < n_rules; k++)
                if (streq(rules[k].where, name))
                        return &rules[k];
        return NULL;
}

static int check_node(kn_xml *x, const xmlNode *n, const char *name, const kn_xml_rule *rule,
                      const kn_xml_rule *rules, size_t n_rules) {
        char valid[256], cname[128];
        int r;
        if (rule->kind_attr) {
                _cleanup_free_ char *kind = kn_xml_prop(n, rule->kind_attr);
                if (!in_list(rule->kinds, kind ? kind : "")) {
                        list_string(rule->kinds, valid, sizeof valid);
                        kn_xml_fault_info f = {.fault = KN_XML_BAD_KIND,
                                               .node = n,
                                               .name = rule->kind_attr,
                                               .parent_name = name,
                                               .value = kind ? kind : "",
                                               .valid = valid,
                                               .line = xmlGetLineNo(n)};
                        return kn_xml_report(x, &f);
                }
        }
        if ((r = kn_xml_check_attrs(x, n, rule->attrs)) < 0)
                return r;
        for (const xmlNode *c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                kn_xml_node_name(x, c, cname, sizeof cname);
                const kn_xml_rule *cr = in_list(rule->children, cname)
                                                ? rule_for(rules, n_rules, name, cname)
                                                : NULL;
                if (!cr) {
                        list_string(rule->children, valid, sizeof valid);
                        return kn_xml_unexpected(x, n, c, valid);
                }
                if (!in_list(rule->repeat, cname))
                        for (const xmlNode *d = n->children; d != c; d = d->next) {
                                char dname[128];
                                if (d->type != XML_ELEMENT_NODE)
                                        continue;
                                kn_xml_node_name(x, d, dname, sizeof dname);
                                if (!streq(dname, cname))
                                        continue;
                                kn_xml_fault_info f = {.fault = KN_XML_TWICE,
                                                       .node = c,
                                                       .parent = n,
                                                       .first = d,
                                                       .name = cname,
                                                       .parent_name = name,
                                                       .line = xmlGetLineNo(c)};
                                return kn_xml_report(x, &f);
                        }
                if ((r = check_node(x, c, cname, cr, rules, n_rules)) < 0)
                        return r;
        }
        return 0;
}

int kn_xml_check_tree(kn_xml *x, const xmlNode *root, const kn_xml_rule *rules, size_t n_rules) {
        char name[128];
        kn_xml_node_name(x, root, name, sizeof name);
        const kn_xml_rule *rule = rule_for(rules, n_rules, NULL, name);
        if (!rule)
                return kn_xml_fail(x, root, "not a document element kvmnet reads");
        return check_node(x, root, name, rule, rules, n_rules);
}
