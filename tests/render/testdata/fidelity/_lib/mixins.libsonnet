// lib/ helpers applied with std.foldl, as project libraries do.
{
  withTeamLabel(team):: function(o) o { metadata+: { labels+: { team: team } } },
  withAnnotation(k, v):: function(o) o { metadata+: { annotations+: { [k]: v } } },
  apply(o, mixins):: std.foldl(function(acc, m) m(acc), mixins, o),
}
