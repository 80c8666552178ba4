/** Chinese names of the registry's codes, for certificates and search results. */
export const CATEGORY_NAMES: Record<string, string> = {
  tobacco_retail: '烟草制品零售',
  lottery_outlet: '彩票专营场所',
  internet_cafe: '互联网上网服务营业场所',
  entertainment_venue: '营业性歌舞娱乐场所',
  video_game_venue: '营业性电子游戏场所',
  hazardous_chemicals: '危险化学品生产、储存、销售',
  fireworks: '烟花爆竹销售点',
  polluting_enterprise: '污染企业或设施',
  food_stall_zone: '食品摊贩经营区域',
}

export const SCHOOL_TYPE_NAMES: Record<string, string> = {
  kindergarten: '幼儿园', primary: '小学', junior_middle: '初中', senior_high: '高中', complete_middle: '完全中学',
  nine_year: '九年一贯制学校', vocational: '中等职业学校', special_education: '特殊教育学校',
}
