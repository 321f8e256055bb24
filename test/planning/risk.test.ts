import { describe, expect, it } from "vitest";
import { inferRisk, resolveRisk } from "../../runtime/planning/risk.js";
import { planFile } from "../support/fixtures.js";

describe("risk inference", () => {
  it.each([
    "rm -rf build/",
    "rm -fr /var/lib/app",
    "psql -c 'DROP TABLE users'",
    "psql -c 'truncate table sessions'",
    "DELETE FROM orders WHERE 1=1",
    "git push --force origin main",
    "git push -f",
    "terraform apply -auto-approve",
    "terraform destroy",
    "kubectl delete namespace prod",
    "./scripts/deploy.sh production",
    "promote build 42 to prod",
    "npx prisma migrate deploy",
    "rails db:migrate",
    "dd if=image.iso of=/dev/sda",
  ])("marks %j as risky", (run) => {
    expect(inferRisk({ run, objective: "step" })).toMatch(/^matches /);
  });

  it.each(["rm build/tmp.txt", "git push origin main", "terraform plan", "kubectl get pods", "npm run build", "deploy to staging", "select * from orders"])(
    "leaves %j alone",
    (run) => {
      expect(inferRisk({ run, objective: "step" })).toBeUndefined();
    },
  );

  it("reads the objective and the agent prompt too", () => {
    expect(inferRisk({ objective: "Release 2.4.1 to production" })).toBeDefined();
    expect(inferRisk({ objective: "step", agent: "run the database migration" })).toBeDefined();
  });

  it("keeps an explicit risky flag, and a plan cannot mark an inferred risk safe", () => {
    const plan = resolveRisk(
      planFile({
        objective: "Release",
        tasks: [
          { id: "a", objective: "Tag the release", scope: "workspace", run: "git tag v1", risky: true, acceptance_tests: ["true"] },
          { id: "b", objective: "Clean", scope: "workspace", run: "rm -rf /srv/app", risky: false, acceptance_tests: ["true"] },
          { id: "c", objective: "Build dist/", scope: "workspace", run: "make", acceptance_tests: ["true"] },
        ],
      }),
    );
    expect(plan.tasks.map((t) => [t.id, t.risky === true])).toEqual([
      ["a", true],
      ["b", true],
      ["c", false],
    ]);
    expect(plan.tasks[1]?.risk_reason).toContain("rm -rf");
  });
});
