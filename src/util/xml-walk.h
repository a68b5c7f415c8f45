/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The strict-XML toolkit every kvmnet XML reader walks with (interface,
 * domain, network).  Strict means: an element or attribute the reader does
 * not know is an error naming it, its line and what is valid there, never
 * silently dropped, because a dropped setting is a host or guest that comes
 * up differently than its author wrote.
 *
 * Messages read "SOURCE:LINE: element <x>: ...".  A reader with an older
 * wording of the structural faults (guest-def) words them through `say`. */

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmnet/error.h"
#include "mac.h"
#include "macro.h"

typedef enum kn_xml_fault {
        KN_XML_MALFORMED,     /* value: libxml2's message (no newline), line */
        KN_XML_UNKNOWN_ATTR,  /* node, name: the attribute, valid */
        KN_XML_UNKNOWN_CHILD, /* node: the child, name: its name, parent, valid */
        KN_XML_TWICE,         /* node: the second one, name, parent, first */
        KN_XML_BAD_KIND,      /* node, name: the kind attribute, value, valid */
} kn_xml_fault;

typedef struct kn_xml_fault_info {
        kn_xml_fault fault;
        const xmlNode *node, *parent, *first;
        const char *name, *parent_name, *value, *valid; /* valid: "a, b" or "none" */
        long line;
} kn_xml_fault_info;

typedef struct kn_xml kn_xml;
struct kn_xml {
        const char *source; /* file name or "<input>"; every message starts with it */
        kn_error *err;
        /* Words a structural fault; NULL: kvmnet's wording. */
        int (*say)(kn_xml *x, const kn_xml_fault_info *f);
        /* One foreign namespace (libvirt's qemu:commandline), named
         * PREFIX:NAME in rules and messages; elements of any other
         * namespace are named by their own prefix and never match a rule. */
        const char *ns_href, *ns_prefix;
};

/* Parse a document: no network, no entity expansion, no DOCTYPE. */
int kn_xml_read(kn_xml *x, const char *xml, size_t len, xmlDoc **ret);

static inline void kn_xml_doc_freep(xmlDoc **d) {
        if (*d)
                xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ _cleanup_(kn_xml_doc_freep)

/* "SOURCE:LINE: element <n>: MESSAGE"; returns -EINVAL. */
_printf_(3, 4) int kn_xml_fail(kn_xml *x, const xmlNode *n, const char *fmt, ...);
int kn_xml_report(kn_xml *x, const kn_xml_fault_info *f);

/* n is an element named name (in no namespace, or any: callers that care
 * about namespaces use kn_xml_node_name). */
bool kn_xml_is(const xmlNode *n, const char *name);
/* "name", "PREFIX:name" for the configured namespace, "p:name" for others. */
void kn_xml_node_name(const kn_xml *x, const xmlNode *n, char *buf, size_t size);
/* First child element called name outside the foreign namespace, or NULL. */
xmlNode *kn_xml_child(const kn_xml *x, const xmlNode *n, const char *name);

/* Owned copies, NULL when absent (n may be NULL). kn_xml_text trims. */
char *kn_xml_prop(const xmlNode *n, const char *name);
char *kn_xml_text(const xmlNode *n);

/* ---- one element at a time ---- */

#define KN_XML_ATTRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define KN_XML_NO_ATTRS   ((const char *const[]){NULL})

/* Every attribute of n is in the NULL-terminated list. */
int kn_xml_check_attrs(kn_xml *x, const xmlNode *n, const char *const *allowed);
/* Text other than white space inside parent is an error. */
int kn_xml_check_text(kn_xml *x, const xmlNode *parent, const xmlNode *n);
/* child is not valid inside parent; valid lists what is. */
int kn_xml_unexpected(kn_xml *x, const xmlNode *parent, const xmlNode *child, const char *valid);
int kn_xml_no_children(kn_xml *x, const xmlNode *n);

/* Loop over the child elements of parent; stray text returns its error. */
#define KN_XML_FOREACH_CHILD(x, parent, n, r)                                                      \
        for (xmlNode *n = (parent)->children; n; n = n->next)                                      \
                if (((r) = kn_xml_check_text((x), (parent), n)) < 0)                               \
                        return (r);                                                                \
                else if (n->type != XML_ELEMENT_NODE)                                              \
                        continue;                                                                  \
                else

/* Typed attributes.  Absent and not required: *ret untouched (uint: -1). */
int kn_xml_attr(kn_xml *x, const xmlNode *n, const char *name, bool required, char **ret);
int kn_xml_attr_uint(kn_xml *x, const xmlNode *n, const char *name, bool required,
                     unsigned long min, unsigned long max, long *ret);
/* One of two words (libvirt uses yes/no for some, on/off for others): 1 or 0. */
int kn_xml_attr_switch(kn_xml *x, const xmlNode *n, const char *name, const char *yes,
                       const char *no, int *ret);
#define kn_xml_attr_yesno(x, n, name, ret) kn_xml_attr_switch(x, n, name, "yes", "no", ret)
#define kn_xml_attr_onoff(x, n, name, ret) kn_xml_attr_switch(x, n, name, "on", "off", ret)
/* index in a string table (entry 0 may be NULL = unset) */
int kn_xml_attr_enum(kn_xml *x, const xmlNode *n, const char *name, bool required,
                     const char *const *table, size_t n_table, int *ret);
int kn_xml_attr_mac(kn_xml *x, const xmlNode *n, const char *name, bool required,
                    uint8_t mac[KN_MAC_LEN], bool *present);

typedef struct kn_xml_ip {
        int family; /* AF_INET, AF_INET6; 0 when absent */
        uint8_t addr[16];
        char text[46]; /* canonical (inet_ntop) */
} kn_xml_ip;
/* family AF_INET, AF_INET6 or AF_UNSPEC (either). */
int kn_xml_attr_ip(kn_xml *x, const xmlNode *n, const char *name, bool required, int family,
                   kn_xml_ip *ret);

/* ---- a whole tree against a table ----
 *
 * Rules name where an element may be ("parent/name", or "name" anywhere),
 * its attributes, its children and which of them repeat.  A rule may name a
 * kind attribute checked first: what else is valid depends on it. */
typedef struct kn_xml_rule {
        const char *where;
        const char *const *attrs;
        const char *const *children; /* NULL: none */
        const char *const *repeat;
        const char *kind_attr;
        const char *const *kinds;
} kn_xml_rule;

int kn_xml_check_tree(kn_xml *x, const xmlNode *root, const kn_xml_rule *rules, size_t n_rules);
