/**
 * Who leads each duty among the processes sharing one embedded database, kept by the owner. A
 * holder is the owner itself or a guest connection; a guest's duties end with its connection, and
 * all of them end with the owner.
 */
export class DutyLeaders<Holder> {
  readonly #leaders = new Map<string, Holder>();

  tryLead(duty: string, holder: Holder): boolean {
    const leader = this.#leaders.get(duty);
    if (leader !== undefined && leader !== holder) return false;
    this.#leaders.set(duty, holder);
    return true;
  }

  leads(duty: string, holder: Holder): boolean {
    return this.#leaders.get(duty) === holder;
  }

  release(duty: string, holder: Holder): void {
    if (this.leads(duty, holder)) this.#leaders.delete(duty);
  }

  releaseAll(holder: Holder): void {
    for (const [duty, leader] of this.#leaders) if (leader === holder) this.#leaders.delete(duty);
  }
}
