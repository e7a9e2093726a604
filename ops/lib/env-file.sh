# Sourced by the ops scripts: how an env file's values are read, as data (never executed).

# The value part of a NAME=VALUE line: trimmed, an inline comment-only value is empty,
# and one pair of matching quotes is removed.
env_unquote() {
  local v="${1%$'\r'}"
  v="${v#"${v%%[![:space:]]*}"}"
  v="${v%"${v##*[![:space:]]}"}"
  if [[ $v == \#* ]]; then
    v=""
  elif [[ ${#v} -ge 2 && (($v == \"*\") || ($v == \'*\')) ]]; then
    v="${v:1:${#v}-2}"
  fi
  printf '%s' "$v"
}
