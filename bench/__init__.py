from ltci import keep_files_private

keep_files_private()  # the bench's inputs and databases under var/bench are as private as the platform's
