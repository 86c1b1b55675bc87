# data/ holds test files that the slice test copies into a library's tree; they are not tests of this repo.
collect_ignore = ["data"]
