/** A text made of memories' own sentences, and the memories it quotes in the order it quotes them. */
export interface ExtractiveText {
  text: string;
  memoryIds: string[];
}
