#include "vmctl.h"

int
main(int argc, char **argv)
{
	return vmctl_run(argc, argv);
}
