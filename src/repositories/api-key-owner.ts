/** Who a live key authenticates: the user (`id`, `externalId`) and the key's id. */
export interface ApiKeyOwner {
  id: string;
  externalId: string;
  keyId: string;
}
