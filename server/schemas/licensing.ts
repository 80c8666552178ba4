import type { Department, PremisesCategory } from './vocabulary.ts'

/**
 * Which department licenses each category: the one the school-safety opinions charge with that kind of premises
 * (§3 the safety zone, §9 the departments' duties). Kept free of schema code so the web desk can import it
 * without bundling the validator.
 */
export const LICENSING_DEPARTMENTS: Record<PremisesCategory, readonly Department[]> = {
  internet_cafe: ['culture'],
  entertainment_venue: ['culture'],
  video_game_venue: ['culture'],
  lottery_outlet: ['lottery_welfare', 'lottery_sports'],
  tobacco_retail: ['tobacco'],
  hazardous_chemicals: ['emergency'],
  fireworks: ['emergency'],
  polluting_enterprise: ['environment'],
  food_stall_zone: ['market'],
}
