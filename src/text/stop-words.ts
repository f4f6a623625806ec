/**
 * Common English function words and fillers: they say nothing about a user, so they are never
 * counted as information, never matched in search and never decide a section.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are aren as at be because been before
  being below between both but by can cannot could couldn did didn do does doesn doing don down during
  each even ever every few for from further get gets got had hadn has hasn have haven having he her here
  hers herself him himself his how however i if in into is isn it its itself just least less let like
  ll me more most much must mustn my myself no nor not now of off often on once only or other others
  ought our ours ourselves out over own quite rather re really same shan she should shouldn since so
  some still such than that the their theirs them themselves then there these they this those through
  thus to too under until up upon us ve very was wasn we well were weren what when where whether which
  while who whom whose why will with within without won would wouldn yet you your yours yourself
  yourselves`.split(/\s+/),
);
