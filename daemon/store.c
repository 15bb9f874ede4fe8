/* Persistent definitions: <state_dir>/domains/<name>.xml, written
 * atomically, and <state_dir>/autostart/<name> markers. A file that does not
 * parse is logged and left alone, never deleted or rewritten. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

static int
store_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int
store_init(struct vmd *vmd)
{
	char path[4096];
	int ret;

	ret = store_mkdir(vmd->state_dir, 0755);
	snprintf(path, sizeof(path), "%s/domains", vmd->state_dir);
	if (!ret)
		ret = store_mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/autostart", vmd->state_dir);
	if (!ret)
		ret = store_mkdir(path, 0700);
	if (ret)
		log_error("state directory %s: %s", vmd->state_dir,
			  strerror(-ret));
	return ret;
}

int
store_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[4096], dir[4096];
	int fd, dfd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = util_write_all(fd, data, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	/* The rename itself must reach the disk too. */
	util_strlcpy(dir, path, sizeof(dir));
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
store_save_domain(struct vmd *vmd, const struct domain_def *def)
{
	char path[4096];
	char *xml = domain_xml_format(def);
	int ret;

	if (!xml)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/domains/%s.xml", vmd->state_dir,
		 def->name);
	ret = store_write_atomic(path, xml, strlen(xml));
	free(xml);
	if (ret)
		log_error("%s: cannot save %s: %s", def->name, path,
			  strerror(-ret));
	return ret;
}

int
store_delete_domain(struct vmd *vmd, const char *name)
{
	char path[4096];

	store_set_autostart(vmd, name, false);
	snprintf(path, sizeof(path), "%s/domains/%s.xml", vmd->state_dir, name);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int
store_set_autostart(struct vmd *vmd, const char *name, bool enable)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/autostart/%s", vmd->state_dir, name);
	if (enable)
		return store_write_atomic(path, "", 0);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

bool
store_get_autostart(struct vmd *vmd, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/autostart/%s", vmd->state_dir, name);
	return access(path, F_OK) == 0;
}

static char *
store_read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size > max) {
		close(fd);
		errno = E2BIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	if (buf) {
		buf[st.st_size] = '\0';
		*len = (size_t)st.st_size;
	}
	return buf;
}

int
store_load_domains(struct vmd *vmd)
{
	char dir[4096], path[4096 + 256], err[512];
	struct domain_warnings w;
	struct domain_def *def;
	struct dirent *de;
	DIR *dp;
	size_t len, n;
	char *xml;

	snprintf(dir, sizeof(dir), "%s/domains", vmd->state_dir);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((de = readdir(dp))) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		xml = store_read_file(path, DOMAIN_XML_MAX, &len);
		if (!xml) {
			log_error("%s: %s (left alone)", path, strerror(errno));
			continue;
		}
		domain_warnings_init(&w);
		if (domain_xml_parse(xml, len, &def, &w, err, sizeof(err))) {
			log_error("%s: %s (left alone)", path, err);
		} else if (strncmp(de->d_name, def->name, n - 4) ||
			   strlen(def->name) != n - 4) {
			log_error("%s: defines '%s', not what its file name says (left alone)",
				  path, def->name);
			domain_def_free(def);
		} else if (vmd_domain_find(vmd, def->name)) {
			domain_def_free(def);
		} else {
			struct vmd_domain *d = vmd_domain_add(vmd, def);

			if (d)
				d->autostart = store_get_autostart(vmd, def->name);
			else
				domain_def_free(def);
		}
		domain_warnings_free(&w);
		free(xml);
	}
	closedir(dp);
	return 0;
}
