const EVENT_VERBS = new Set(
  `attended joined started began begun went visited took got received moved bought adopted won
  finished completed signed launched opened created made built painted wrote published graduated
  hired lost quit traveled travelled met organized organised hosted participated volunteered
  applied passed failed returned celebrated competed performed gave presented enrolled registered
  learned learnt tried decided found sold married injured recovered ran raised donated accepted
  drove flew climbed explored cooked baked played watched read saw taught helped fixed renovated
  designed recorded released broke crashed fell rescued planted harvested hiked camped surfed swam
  skied stopped switched upgraded earned scored qualified booked arranged announced introduced
  invited reunited spent`.split(/\s+/),
);

const REMARK_VERBS = new Set(
  `values value believes believe appreciates appreciate feels feel finds thinks think expresses
  expressed emphasizes emphasises emphasized admires admire considers reflects reflected prefers
  understands understand agrees wonders hopes wishes encourages encouraged advised advises
  suggests suggested recommends recommended acknowledges shares shared mentioned mentions describes
  described asks asked comments commented tells says said replies replied responds responded
  notes noted talks talked chats chatted`.split(/\s+/),
);

/**
 * Whether a sentence reports something that happened ("attended", "started", "recently") or only a
 * remark, opinion or piece of small talk ("values", "believes", "asks"): what happened in a life carries
 * more of a person's story than what was said about it.
 */
export function statementKind(sentence: string): 'event' | 'remark' | 'other' {
  const tokens: string[] = sentence.toLowerCase().match(/[a-z]+/g) ?? [];
  if (tokens.some((token) => EVENT_VERBS.has(token)) || tokens.includes('recently')) return 'event';
  if (tokens.some((token) => REMARK_VERBS.has(token))) return 'remark';
  return 'other';
}
