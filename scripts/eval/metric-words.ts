/**
 * The coverage metric's own stop words (NLTK's English list), independent of the product's, so
 * that the product cannot score by changing what the metric ignores.
 */
const METRIC_STOP_WORDS: ReadonlySet<string> = new Set(
  `i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
  hers herself it its itself they them their theirs themselves what which who whom this that these
  those am is are was were be been being have has had having do does did doing a an the and but if or
  because as until while of at by for with about against between into through during before after
  above below to from up down in out on off over under again further then once here there when where
  why how all any both each few more most other some such no nor not only own same so than too very s
  t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma
  mightn mustn needn shan shouldn wasn weren won wouldn`.split(/\s+/),
);

/** A text's content words as the metric counts them: lower-cased, no stop words, none of one or two letters. */
export function metricWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((word) => word.length > 2 && !METRIC_STOP_WORDS.has(word));
}
