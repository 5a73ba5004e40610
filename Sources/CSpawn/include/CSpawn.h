// The two GNU extensions SpawnedProcess needs, which Swift's Glibc module does not import (they are
// declared only under _GNU_SOURCE).
#pragma once
#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close on exec, so no other child inherits them.
int vtag_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+): the child closes every descriptor >= from.
/// Returns ENOSYS where the C library lacks it.
int vtag_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
