/* Shared by the domain XML parser's files; not part of the library's API. */
#ifndef VMD_DAEMON_DOMAIN_XML_PRIV_H
#define VMD_DAEMON_DOMAIN_XML_PRIV_H

#include <libxml/tree.h>

#include "domain.h"

struct xml_ctx {
	struct domain_def *def;
	struct domain_warnings *w;
	char *err;
	size_t errlen;
	bool oom;
	/* attribute and text values handed out by xml_attr()/xml_text(),
	 * freed together at the end so handlers stay short */
	xmlChar **strs;
	size_t nstrs;
	size_t capstrs;
	/* what needs the whole tree before it can be decided */
	bool seen_uuid;
	bool seen_video;
	bool seen_serial;
	xmlNode *console;
	struct domain_chardev console_chr;	/* freed by the parse */
};

/* How an element is taken: honoured (parse is called), part of what vmd
 * does anyway (accepted with no message), accepted with a warning naming it
 * and why, or refused with an error naming it and why. */
enum xml_kind { XML_SUPPORTED, XML_SILENT, XML_WARN, XML_REFUSE };

struct xml_rule {
	const char *name;
	enum xml_kind kind;
	bool once;
	int (*parse)(struct xml_ctx *c, xmlNode *node);
	const char *why;
};

#define XML_RULES_MAX 64

/* Applies rules to every child element of parent; an element that no rule
 * names is refused, as is stray text. Returns 0 or a negative errno with
 * the message already in c->err. */
int xml_walk(struct xml_ctx *c, xmlNode *parent, const struct xml_rule *rules,
	     size_t nrules);

/* "line N: <elem>: message" into c->err; return rc. */
int xml_fail(struct xml_ctx *c, xmlNode *node, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define xml_refuse(c, n, ...) xml_fail(c, n, -EOPNOTSUPP, __VA_ARGS__)
#define xml_invalid(c, n, ...) xml_fail(c, n, -EINVAL, __VA_ARGS__)
/* "line N: <elem>: message" added to the warnings; 0 or -ENOMEM. */
int xml_warn(struct xml_ctx *c, xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Value of an attribute without namespace, NULL when absent. Valid until
 * the parse ends. */
const char *xml_attr(struct xml_ctx *c, xmlNode *node, const char *name);
/* Warns about every attribute not in known (NULL-terminated). */
int xml_check_attrs(struct xml_ctx *c, xmlNode *node, const char *const *known);
/* Text content of a leaf element; refuses child elements. */
int xml_text(struct xml_ctx *c, xmlNode *node, const char **out);
/* xml_text() without surrounding white space, for numbers and keywords. */
int xml_text_trim(struct xml_ctx *c, xmlNode *node, const char **out);
/* strdup() that records ENOMEM in c; returns 0 or -ENOMEM. */
int xml_dup(struct xml_ctx *c, char **dst, const char *s);
/* Index of s in a NULL-terminated list, or -1. */
int xml_lookup(const char *const *names, const char *s);

/* An element that must be empty (<acpi/>, <readonly/> ...). */
int xml_empty(struct xml_ctx *c, xmlNode *node);

/* Reasons shared by the device files. */
#define XML_NO_ADDRESS "PCI addresses are assigned by vmd"
#define XML_NO_ALIAS "device aliases are assigned by vmd"
#define XML_NO_BOOT "the <kernel> is booted directly"
#define COMMON_RULES							\
	{ "address", XML_WARN, 1, NULL, XML_NO_ADDRESS },		\
	{ "alias", XML_WARN, 1, NULL, XML_NO_ALIAS }

int xml_parse_disk(struct xml_ctx *c, xmlNode *node);
int xml_parse_interface(struct xml_ctx *c, xmlNode *node);

/* <devices> (domain_xml_devices.c) and what is settled after the walk. */
int xml_parse_devices(struct xml_ctx *c, xmlNode *node);
int xml_devices_finish(struct xml_ctx *c, xmlNode *root);

#endif
