/* The walk over a domain XML tree that leaves no element unexamined: every
 * child is honoured, accepted, warned about or refused by a rule table, and
 * the small helpers the element handlers share. */
#include "domain.h"
#include "domain_xml_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
node_name(xmlNode *node)
{
	return (const char *)node->name;
}

static void
vfail(struct xml_ctx *c, xmlNode *node, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (node && node->ns && node->ns->prefix)
		snprintf(c->err, c->errlen, "line %ld: <%s:%s>: %s",
			 xmlGetLineNo(node), node->ns->prefix, node_name(node),
			 msg);
	else if (node)
		snprintf(c->err, c->errlen, "line %ld: <%s>: %s",
			 xmlGetLineNo(node), node_name(node), msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
}

int
xml_fail(struct xml_ctx *c, xmlNode *node, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, node, fmt, ap);
	va_end(ap);
	return rc;
}

int
xml_warn(struct xml_ctx *c, xmlNode *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!c->w)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (domain_warnings_add(c->w, "line %ld: <%s>: %s", xmlGetLineNo(node),
				node_name(node), msg) < 0)
		return xml_fail(c, NULL, -ENOMEM, "out of memory");
	return 0;
}

static const char *
keep(struct xml_ctx *c, xmlChar *s)
{
	xmlChar **strs;

	if (!s) {
		c->oom = true;
		return "";
	}
	if (c->nstrs == c->capstrs) {
		size_t cap = c->capstrs ? c->capstrs * 2 : 32;

		strs = realloc(c->strs, cap * sizeof(*strs));
		if (!strs) {
			xmlFree(s);
			c->oom = true;
			return "";
		}
		c->strs = strs;
		c->capstrs = cap;
	}
	c->strs[c->nstrs++] = s;
	return (const char *)s;
}

const char *
xml_attr(struct xml_ctx *c, xmlNode *node, const char *name)
{
	xmlAttr *a = xmlHasNsProp(node, (const xmlChar *)name, NULL);

	if (!a || a->ns)
		return NULL;
	return keep(c, xmlNodeListGetString(node->doc, a->children, 1) ?:
		    xmlStrdup((const xmlChar *)""));
}

int
xml_lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

int
xml_check_attrs(struct xml_ctx *c, xmlNode *node, const char *const *known)
{
	xmlAttr *a;
	int r;

	for (a = node->properties; a; a = a->next) {
		if (!a->ns && xml_lookup(known, (const char *)a->name) >= 0)
			continue;
		r = xml_warn(c, node, "attribute '%s%s%s' ignored",
			     a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
			     a->ns && a->ns->prefix ? ":" : "",
			     (const char *)a->name);
		if (r < 0)
			return r;
	}
	return 0;
}

int
xml_text(struct xml_ctx *c, xmlNode *node, const char **out)
{
	xmlNode *n;

	for (n = node->children; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			return xml_refuse(c, n, "unexpected element inside "
					  "<%s>", node_name(node));
		if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE &&
		    n->type != XML_COMMENT_NODE)
			return xml_invalid(c, node, "unexpected content");
	}
	*out = keep(c, xmlNodeGetContent(node));
	return c->oom ? -ENOMEM : 0;
}

int
xml_text_trim(struct xml_ctx *c, xmlNode *node, const char **out)
{
	char *s, *end;
	int r = xml_text(c, node, out);

	if (r < 0)
		return r;
	/* our copy, kept in c->strs: trimming it in place is fine */
	s = (char *)*out;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	*out = s;
	return 0;
}

int
xml_dup(struct xml_ctx *c, char **dst, const char *s)
{
	char *copy = strdup(s);

	if (!copy) {
		c->oom = true;
		return xml_fail(c, NULL, -ENOMEM, "out of memory");
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static bool
blank(const xmlChar *s)
{
	while (s && *s) {
		if (!isspace(*s))
			return false;
		s++;
	}
	return true;
}

static int
apply_rule(struct xml_ctx *c, xmlNode *n, const struct xml_rule *rule)
{
	switch (rule->kind) {
	case XML_SUPPORTED:
		return rule->parse(c, n);
	case XML_SILENT:
		return 0;
	case XML_WARN:
		return xml_warn(c, n, "ignored: %s", rule->why);
	case XML_REFUSE:
		return xml_refuse(c, n, "not supported: %s", rule->why);
	}
	return -EINVAL;
}

int
xml_walk(struct xml_ctx *c, xmlNode *parent, const struct xml_rule *rules,
	 size_t nrules)
{
	uint64_t seen = 0;
	xmlNode *n;
	size_t i;
	int r;

	if (nrules > XML_RULES_MAX)
		return xml_fail(c, parent, -EINVAL, "internal: rule table "
				"too long");
	for (n = parent->children; n; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			continue;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (blank(n->content))
				continue;
			return xml_invalid(c, parent, "unexpected text '%.32s'",
					   (const char *)n->content);
		}
		if (n->type != XML_ELEMENT_NODE)
			return xml_invalid(c, parent, "unexpected content");
		/* libvirt's own elements have no namespace; anything else
		 * (qemu:commandline ...) is for another program */
		if (n->ns)
			return xml_refuse(c, n, "elements of namespace '%s' "
					  "are not supported",
					  (const char *)n->ns->href);
		for (i = 0; i < nrules; i++)
			if (!strcmp(rules[i].name, node_name(n)))
				break;
		if (i == nrules)
			return xml_refuse(c, n, "unknown element in <%s>",
					  node_name(parent));
		if (rules[i].once && (seen & (1ull << i)))
			return xml_invalid(c, n, "may appear only once in <%s>",
					   node_name(parent));
		seen |= 1ull << i;
		r = apply_rule(c, n, &rules[i]);
		if (r < 0)
			return r;
		if (c->oom)
			return xml_fail(c, NULL, -ENOMEM, "out of memory");
	}
	return 0;
}

int
xml_empty(struct xml_ctx *c, xmlNode *node)
{
	return xml_walk(c, node, NULL, 0);
}
