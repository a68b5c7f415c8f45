/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict-XML toolkit on its own: reading (no DOCTYPE, malformed with
 * its line), typed getters and their messages, the rule-table walk, the
 * wording hook; and the one MAC parser. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mac.h"
#include "macro.h"
#include "xml-walk.h"

static xmlDoc *doc;
static kn_error err;
static kn_xml x = {.source = "t.xml", .err = &err};

static xmlNode *read_ok(const char *s) {
        if (doc)
                xmlFreeDoc(doc);
        doc = NULL;
        kn_error_clear(&err);
        assert_int_equal(kn_xml_read(&x, s, strlen(s), &doc), 0);
        return xmlDocGetRootElement(doc);
}

static void expect(int r, const char *msg) {
        assert_int_equal(r, -EINVAL);
        if (!strstr(err.message, msg))
                fail_msg("error '%s' lacks '%s'", err.message, msg);
        kn_error_clear(&err);
}

static void test_read(void **state) {
        xmlDoc *d = NULL;
        const char *bad = "<a>\n<b>\n</a>";
        expect(kn_xml_read(&x, bad, strlen(bad), &d), "t.xml:3: malformed XML: ");
        assert_null(strchr(err.message, '\n'));
        const char *dt = "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>";
        expect(kn_xml_read(&x, dt, strlen(dt), &d), "t.xml: a DOCTYPE is not accepted");
        assert_null(d);
}

static void test_getters(void **state) {
        xmlNode *n = read_ok("<e u='7' big='70000' neg='-1' sp=' 5' on='on' yn='maybe' "
                             "mac='52:54:00:AB:cd:EF' badmac='52:54:00:ab:cd' "
                             "ip4='10.0.0.1' ip6='2001:DB8::0:1'/>");
        long v;
        assert_int_equal(kn_xml_attr_uint(&x, n, "u", true, 1, 10, &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(kn_xml_attr_uint(&x, n, "absent", false, 0, 10, &v), 0);
        assert_int_equal(v, -1);
        expect(kn_xml_attr_uint(&x, n, "absent", true, 0, 10, &v),
               "t.xml:1: element <e>: attribute 'absent' is missing");
        expect(kn_xml_attr_uint(&x, n, "big", true, 68, 65535, &v),
               "attribute 'big': 70000 is out of range (valid: 68-65535)");
        expect(kn_xml_attr_uint(&x, n, "neg", true, 0, 10, &v), "'-1' is not an unsigned integer");
        expect(kn_xml_attr_uint(&x, n, "sp", true, 0, 10, &v), "' 5' is not an unsigned integer");
        int b = -1;
        assert_int_equal(kn_xml_attr_onoff(&x, n, "on", &b), 0);
        assert_int_equal(b, 1);
        expect(kn_xml_attr_yesno(&x, n, "yn", &b), "attribute 'yn': 'maybe' is not 'yes' or 'no'");
        uint8_t mac[6];
        bool has = false;
        assert_int_equal(kn_xml_attr_mac(&x, n, "mac", true, mac, &has), 0);
        assert_true(has);
        assert_int_equal(mac[3], 0xab);
        expect(kn_xml_attr_mac(&x, n, "badmac", true, mac, NULL), "is not a MAC address");
        kn_xml_ip ip;
        assert_int_equal(kn_xml_attr_ip(&x, n, "ip6", true, AF_UNSPEC, &ip), 0);
        assert_int_equal(ip.family, AF_INET6);
        assert_string_equal(ip.text, "2001:db8::1");
        expect(kn_xml_attr_ip(&x, n, "ip6", true, AF_INET, &ip),
               "attribute 'ip6': '2001:DB8::0:1' is not an IPv4 address");
        static const char *const table[] = {NULL, "a", "b"};
        int e = 0;
        read_ok("<e k='b' z='c'/>");
        n = xmlDocGetRootElement(doc);
        assert_int_equal(kn_xml_attr_enum(&x, n, "k", true, table, 3, &e), 0);
        assert_int_equal(e, 2);
        expect(kn_xml_attr_enum(&x, n, "z", true, table, 3, &e),
               "attribute 'z': unknown value 'c'");
        expect(kn_xml_check_attrs(&x, n, KN_XML_ATTRS("k")),
               "element <e>: unknown attribute 'z' (valid: k)");
}

static const kn_xml_rule rules[] = {
        {.where = "r",
         .children = (const char *const[]){"a", "b", NULL},
         .repeat = (const char *const[]){"b", NULL}},
        {.where = "a",
         .attrs = (const char *const[]){"x", NULL},
         .kind_attr = "x",
         .kinds = (const char *const[]){"1", "2", NULL}},
        {.where = "b"},
};

static void test_tree(void **state) {
        xmlNode *n = read_ok("<r><a x='1'/><b/><b/></r>");
        assert_int_equal(kn_xml_check_tree(&x, n, rules, ELEMENTSOF(rules)), 0);
        n = read_ok("<r>\n<a x='1'/>\n<a x='2'/></r>");
        expect(kn_xml_check_tree(&x, n, rules, ELEMENTSOF(rules)),
               "t.xml:3: element <a>: given twice (first on line 2)");
        n = read_ok("<r><a x='3'/></r>");
        expect(kn_xml_check_tree(&x, n, rules, ELEMENTSOF(rules)),
               "element <a>: attribute 'x': unknown value '3' (valid: 1, 2)");
        n = read_ok("<r><b y='1'/></r>");
        expect(kn_xml_check_tree(&x, n, rules, ELEMENTSOF(rules)),
               "element <b>: unknown attribute 'y' (valid: none)");
        n = read_ok("<r><c/></r>");
        expect(kn_xml_check_tree(&x, n, rules, ELEMENTSOF(rules)),
               "element <c>: not expected inside <r> (valid there: a, b)");
        n = read_ok("<r>text<b/></r>");
        int r;
        r = kn_xml_check_text(&x, n, n->children);
        expect(r, "element <r>: unexpected text 'text'");
}

static int said;
static int say(kn_xml *w, const kn_xml_fault_info *f) {
        said++;
        return kn_error_set(w->err, EINVAL, "line %ld: fault %d on <%s>", f->line, (int) f->fault,
                            f->name ? f->name : "");
}

static void test_wording_hook(void **state) {
        xmlNode *n = read_ok("<r><c/></r>");
        kn_xml y = {.source = "t.xml", .err = &err, .say = say};
        expect(kn_xml_check_tree(&y, n, rules, ELEMENTSOF(rules)), "line 1: fault 2 on <c>");
        assert_int_equal(said, 1);
        /* messages that are not structural keep the walker's wording */
        expect(kn_xml_fail(&y, n, "custom"), "t.xml:1: element <r>: custom");
}

static void test_mac(void **state) {
        uint8_t m[6];
        char s[KN_MAC_STR];
        assert_int_equal(kn_mac_from_string("52:54:00:AB:cd:EF", m), 0);
        kn_mac_to_string(m, s);
        assert_string_equal(s, "52:54:00:ab:cd:ef");
        assert_false(kn_mac_is_multicast(m));
        assert_int_equal(kn_mac_from_string("52-54-00-ab-cd-ef", m), -EINVAL);
        assert_int_equal(kn_mac_from_string("52:54:00:ab:cd:eg", m), -EINVAL);
        assert_int_equal(kn_mac_from_string("2:54:00:ab:cd:ef0", m), -EINVAL);
        assert_int_equal(kn_mac_from_string(NULL, m), -EINVAL);
        assert_int_equal(kn_mac_from_string("01:00:5e:00:00:01", m), 0);
        assert_true(kn_mac_is_multicast(m));
}

static int teardown(void **state) {
        if (doc)
                xmlFreeDoc(doc);
        doc = NULL;
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read), cmocka_unit_test(test_getters),
                cmocka_unit_test(test_tree), cmocka_unit_test(test_wording_hook),
                cmocka_unit_test(test_mac),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}
