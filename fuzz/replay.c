/*
 * Replay driver for the libFuzzer targets, built with the normal compiler so
 * that `make test` replays every corpus without libFuzzer.
 *
 * usage: replay/NAME PATH...
 *
 * Each PATH is a directory (its regular files are replayed in name order,
 * so a run is reproducible; names starting with '.' are ignored) or a
 * single file.  Each input goes to LLVMFuzzerTestOneInput() in a heap
 * buffer of exactly its size, so that an over-read is caught by ASan as
 * it would be under libFuzzer.  Inputs over REPLAY_MAX are skipped with a
 * note: libFuzzer never makes them (-max_len) and they do not belong in a
 * corpus.
 *
 * LLVMFuzzerInitialize() is not called: a target that needs state builds
 * it lazily on its first input.
 *
 * Prints one line, "N inputs replayed", and exits 0; exits 1 on any I/O
 * error or a bad argument.  A target that finds a bug aborts.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLAY_MAX (1024 * 1024)
#define REPLAY_MAX_FILES 100000	/* a corpus is tens of files */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long nreplayed, nskipped;

/*
 * Read the regular file name (relative to the directory fd at) and run
 * it.  shown is the path for messages.  Returns 0, or -1 after printing
 * an I/O error.
 */
static int
replay_one(int at, const char *name, const char *shown)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len, got = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = openat(at, name, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "replay: %s: not a regular file\n", shown);
		goto out;
	}
	if (st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: %lld bytes, over %d: skipped\n",
		    shown, (long long)st.st_size, REPLAY_MAX);
		nskipped++;
		rc = 0;
		goto out;
	}
	len = (size_t)st.st_size;
	/* malloc(0) may return NULL; libFuzzer never passes NULL. */
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", shown);
		goto out;
	}
	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "replay: %s: %s\n", shown,
			    strerror(errno));
			goto out;
		}
		if (n == 0) {
			fprintf(stderr, "replay: %s: shrank while read\n",
			    shown);
			goto out;
		}
		got += (size_t)n;
	}
	(void)LLVMFuzzerTestOneInput(buf, len);
	nreplayed++;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file of the directory path, sorted by name. */
static int
replay_dir(const char *path)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **nn, *shown = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	if ((dir = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0) {
				fprintf(stderr, "replay: %s: %s\n", path,
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			fprintf(stderr, "replay: %s/%s: %s\n", path,
			    de->d_name, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (n == REPLAY_MAX_FILES) {
			fprintf(stderr, "replay: %s: more than %d files\n",
			    path, REPLAY_MAX_FILES);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = reallocarray(names, cap, sizeof(*names));
			if (nn == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		free(shown);
		if (asprintf(&shown, "%s/%s", path, names[i]) == -1) {
			shown = NULL;
			goto nomem;
		}
		if (replay_one(dirfd(dir), names[i], shown) != 0)
			goto out;
	}
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "replay: %s: out of memory\n", path);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(shown);
	closedir(dir);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i]) != 0)
				return 1;
		} else if (replay_one(AT_FDCWD, argv[i], argv[i]) != 0)
			return 1;
	}
	if (nskipped > 0)
		printf("%lu inputs replayed, %lu skipped (over %d bytes)\n",
		    nreplayed, nskipped, REPLAY_MAX);
	else
		printf("%lu inputs replayed\n", nreplayed);
	return 0;
}
