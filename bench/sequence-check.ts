// Delivery check of tracked frames: every (camera, seq) exactly once and, per camera, in
// increasing seq order. Producers number each camera's frames 1, 2, … (fresh state dir per run).

export interface DeliveryCounts {
  /** Expected (camera, seq) never received. */
  lost: number;
  /** Receipts of a (camera, seq) already received. */
  duplicated: number;
  /** First receipts of a seq lower than one already received for the camera. */
  outOfOrder: number;
}

export class SequenceCheck {
  private readonly cameras = new Map<string, { seen: Set<number>; highest: number }>();
  private duplicated = 0;
  private outOfOrder = 0;

  add(camera: string, seq: number): void {
    let cam = this.cameras.get(camera);
    if (!cam) {
      cam = { seen: new Set(), highest: 0 };
      this.cameras.set(camera, cam);
    }
    if (cam.seen.has(seq)) {
      this.duplicated += 1;
      return;
    }
    cam.seen.add(seq);
    if (seq < cam.highest) this.outOfOrder += 1;
    cam.highest = Math.max(cam.highest, seq);
  }

  /** Whether every camera has received seq 1..lastSeq. */
  complete(lastSeqs: ReadonlyMap<string, number>): boolean {
    return [...lastSeqs].every(([camera, last]) => this.received(camera, last) === last);
  }

  counts(lastSeqs: ReadonlyMap<string, number>): DeliveryCounts {
    let lost = 0;
    for (const [camera, last] of lastSeqs) lost += last - this.received(camera, last);
    return { lost, duplicated: this.duplicated, outOfOrder: this.outOfOrder };
  }

  /** Distinct seqs in 1..last received for the camera. */
  private received(camera: string, last: number): number {
    const seen = this.cameras.get(camera)?.seen;
    if (!seen) return 0;
    let n = 0;
    for (const seq of seen) if (seq >= 1 && seq <= last) n += 1;
    return n;
  }
}
