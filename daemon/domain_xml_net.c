/* libvirt domain XML: <interface>, virtio-net on user networking, a tap or
 * a bridge. */
#include "domain.h"
#include "domain_xml_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- <interface> ---- */

static struct domain_net *
cur_net(struct xml_ctx *c)
{
	return &c->def->nets[c->def->nnets];
}

static int
p_net_mac(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "address", NULL };
	const char *addr = xml_attr(c, node, "address");
	int r;

	if (domain_mac_parse(addr, cur_net(c)->mac) < 0)
		return xml_invalid(c, node, "address='%.20s' is not a unicast "
				   "MAC address like 52:54:00:12:34:56",
				   addr ? addr : "");
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static int
p_net_source(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "bridge", NULL };
	const char *bridge = xml_attr(c, node, "bridge");
	int r;

	if (cur_net(c)->type != DOMAIN_NET_BRIDGE)
		return xml_refuse(c, node, "a source is only used with "
				  "type='bridge'");
	if (!bridge || !*bridge || strlen(bridge) > 15 || strchr(bridge, '/'))
		return xml_invalid(c, node, "bridge='...' must name a network "
				   "interface (1-15 characters)");
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_dup(c, &cur_net(c)->bridge, bridge)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static int
p_net_target(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "dev", "managed", NULL };
	const char *dev = xml_attr(c, node, "dev");
	size_t i;
	int r;

	if (cur_net(c)->type == DOMAIN_NET_USER)
		return xml_refuse(c, node, "user networking has no host "
				  "device");
	/* IFNAMSIZ - 1, and what the kernel's dev_valid_name() refuses */
	if (!dev || !*dev || strlen(dev) > 15 || !strcmp(dev, ".") ||
	    !strcmp(dev, ".."))
		return xml_invalid(c, node, "dev='...' must name a tap device "
				   "(1-15 characters)");
	for (i = 0; dev[i]; i++)
		if (dev[i] == '/' || dev[i] == ':' || dev[i] <= ' ')
			return xml_invalid(c, node, "dev='%.20s' is not a "
					   "valid interface name", dev);
	if ((r = xml_check_attrs(c, node, attrs)) < 0 ||
	    (r = xml_dup(c, &cur_net(c)->ifname, dev)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static int
p_net_model(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	const char *type = xml_attr(c, node, "type");
	int r;

	if (!type || strcmp(type, "virtio"))
		return xml_refuse(c, node, "model type='%.20s' is not emulated: "
				  "only 'virtio'", type ? type : "");
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	return xml_walk(c, node, NULL, 0);
}

static const struct xml_rule net_rules[] = {
	{ "mac", XML_SUPPORTED, 1, p_net_mac, NULL },
	{ "source", XML_SUPPORTED, 1, p_net_source, NULL },
	{ "target", XML_SUPPORTED, 1, p_net_target, NULL },
	{ "model", XML_SUPPORTED, 1, p_net_model, NULL },
	COMMON_RULES,
	{ "boot", XML_WARN, 1, NULL, XML_NO_BOOT },
	{ "rom", XML_WARN, 1, NULL, "no option ROM is loaded" },
	{ "driver", XML_WARN, 1, NULL, "vmd-vm's virtio-net settings are used" },
	{ "link", XML_WARN, 1, NULL, "the link is always up" },
	{ "mtu", XML_WARN, 1, NULL, "the guest picks its MTU" },
	{ "tune", XML_WARN, 1, NULL, "tap tuning is not applied" },
	{ "coalesce", XML_WARN, 1, NULL, "coalescing is not set" },
	{ "ip", XML_WARN, 0, NULL, "user networking uses its default "
	  "addresses" },
	{ "route", XML_WARN, 0, NULL, "user networking uses its default "
	  "routes" },
	{ "guest", XML_WARN, 1, NULL, "the guest names its interfaces" },
	{ "bandwidth", XML_REFUSE, 1, NULL, "bandwidth limits cannot be "
	  "enforced" },
	{ "filterref", XML_REFUSE, 1, NULL, "network filters cannot be "
	  "applied" },
	{ "virtualport", XML_REFUSE, 1, NULL, "Open vSwitch/802.1Qbh ports" },
	{ "vlan", XML_REFUSE, 1, NULL, "VLAN tags cannot be applied" },
	{ "portForward", XML_REFUSE, 0, NULL, "port forwarding" },
	{ "backend", XML_REFUSE, 1, NULL, "other network back-ends" },
	{ "script", XML_REFUSE, 1, NULL, "host scripts are not run" },
	{ "downscript", XML_REFUSE, 1, NULL, "host scripts are not run" },
	{ "teaming", XML_REFUSE, 1, NULL, "failover teaming" },
};

int
xml_parse_interface(struct xml_ctx *c, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const types[] = { "user", "ethernet", "bridge",
					     NULL };
	const char *type = xml_attr(c, node, "type");
	struct domain_net *n;
	int i, r;

	if (type && !strcmp(type, "network"))
		return xml_refuse(c, node, "type='network' needs libvirt's "
				  "network service: use type='bridge' with "
				  "<source bridge='virbr0'/>, or type='user'");
	i = xml_lookup(types, type);
	if (i < 0)
		return xml_refuse(c, node, "interface type='%.20s' is not "
				  "supported: use user, ethernet or bridge",
				  type ? type : "");
	if (c->def->nnets == DOMAIN_MAX_NICS)
		return xml_fail(c, node, -E2BIG, "more than %d interfaces",
				DOMAIN_MAX_NICS);
	if ((r = xml_check_attrs(c, node, attrs)) < 0)
		return r;
	n = cur_net(c);
	memset(n, 0, sizeof(*n));
	n->type = i == 0 ? DOMAIN_NET_USER : i == 1 ? DOMAIN_NET_ETHERNET :
		DOMAIN_NET_BRIDGE;
	r = xml_walk(c, node, net_rules, ARRAY_SIZE(net_rules));
	if (!r && n->type == DOMAIN_NET_BRIDGE && !n->bridge)
		r = xml_invalid(c, node, "type='bridge' needs <source "
				"bridge='...'/>");
	if (!r && n->type == DOMAIN_NET_ETHERNET && !n->ifname)
		r = xml_invalid(c, node, "type='ethernet' needs <target "
				"dev='tapN'/> naming an existing tap device");
	/* domain_mac_parse() refuses all-zero: all-zero means no <mac> */
	if (!r && !memcmp(n->mac, (uint8_t[DOMAIN_MAC_LEN]){ 0 },
			  DOMAIN_MAC_LEN) &&
	    (r = domain_mac_generate(n->mac)) < 0)
		xml_fail(c, node, r, "cannot generate a MAC address: %s",
			 strerror(-r));
	if (r < 0) {
		free(n->bridge);
		free(n->ifname);
		memset(n, 0, sizeof(*n));
		return r;
	}
	c->def->nnets++;
	return 0;
}
